# The messages in Chinese (issue 20): po/zh_CN.po compiled by msgfmt at build time into one .mo
# per program (the gettext domain is the program's name, so each package ships its own copy
# of the one catalog), under the build folder's locale/ for programs run from there and under
# ${datadir}/locale once installed. common/i18n.c picks the folder; tests/i18n_complete.sh
# fails when a marked string has no translation.
include(GNUInstallDirs)
find_program(MSGFMT msgfmt REQUIRED)

set(PERMIT_LANGS zh_CN)
set(PERMIT_DOMAINS permitctl permitd permit-agent permit-notify permit-web)
set(PERMIT_LOCALE_OUT ${CMAKE_BINARY_DIR}/locale)

set(mo_files)
foreach(lang ${PERMIT_LANGS})
  set(dir ${PERMIT_LOCALE_OUT}/${lang}/LC_MESSAGES)
  set(first ${dir}/permitctl.mo)
  set(outs)
  set(copies)
  foreach(domain ${PERMIT_DOMAINS})
    list(APPEND outs ${dir}/${domain}.mo)
    if(NOT domain STREQUAL "permitctl")
      list(APPEND copies COMMAND ${CMAKE_COMMAND} -E copy ${first} ${dir}/${domain}.mo)
    endif()
  endforeach()
  add_custom_command(
    OUTPUT ${outs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${MSGFMT} --check -o ${first} ${CMAKE_SOURCE_DIR}/po/${lang}.po
    ${copies}
    DEPENDS ${CMAKE_SOURCE_DIR}/po/${lang}.po
    COMMENT "msgfmt po/${lang}.po")
  list(APPEND mo_files ${outs})
endforeach()
add_custom_target(permit_mo ALL DEPENDS ${mo_files})

set_property(SOURCE ${CMAKE_SOURCE_DIR}/common/i18n.c APPEND PROPERTY COMPILE_DEFINITIONS
  PERMIT_LOCALEDIR="${CMAKE_INSTALL_FULL_LOCALEDIR}"
  PERMIT_BUILD_LOCALEDIR="${PERMIT_LOCALE_OUT}"
  PERMIT_BUILD_BINDIR="${CMAKE_BINARY_DIR}")

# Each program's package ships its program's catalog (see packaging.cmake's components).
function(permit_install_mo domain component)
  foreach(lang ${PERMIT_LANGS})
    install(FILES ${PERMIT_LOCALE_OUT}/${lang}/LC_MESSAGES/${domain}.mo
      DESTINATION ${CMAKE_INSTALL_LOCALEDIR}/${lang}/LC_MESSAGES COMPONENT ${component})
  endforeach()
endfunction()
