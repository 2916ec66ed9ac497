# The man pages and the bash completion (issue 22), made at build time from the programs' own
# tables: each program prints them for the hidden option --dump-options (common/cli.h), and
# man/mangen turns that into roff and a completion script. Nothing here is written by hand, so
# --help, the pages and the completion cannot disagree.
#   build/man/PROG.SECTION, PROG.conf.5   for `man -l`; build/man/gz/*.gz are installed
#   build/bash-completion/PROG            installed to share/bash-completion/completions
include(GNUInstallDirs)

add_executable(mangen man/mangen.c)
target_link_libraries(mangen PRIVATE permitcommon)

set(PERMIT_MAN_OUT ${CMAKE_BINARY_DIR}/man)
set(PERMIT_COMPLETION_OUT ${CMAKE_BINARY_DIR}/bash-completion)
file(MAKE_DIRECTORY ${PERMIT_MAN_OUT}/gz ${PERMIT_COMPLETION_OUT})
set(PERMIT_MAN_FILES)

# One gzipped copy of a page, as Debian installs them.
function(permit_man_gz page)
  add_custom_command(OUTPUT ${PERMIT_MAN_OUT}/gz/${page}.gz
    COMMAND sh -c "gzip -n -9 -c '${PERMIT_MAN_OUT}/${page}' > '${PERMIT_MAN_OUT}/gz/${page}.gz'"
    DEPENDS ${PERMIT_MAN_OUT}/${page} VERBATIM)
  set(PERMIT_MAN_FILES ${PERMIT_MAN_FILES} ${PERMIT_MAN_OUT}/gz/${page}.gz PARENT_SCOPE)
endfunction()

# permit_man(PROG SECTION [CONF FILE] SEE_ALSO name(section)...)
function(permit_man prog section)
  cmake_parse_arguments(M "" "CONF" "SEE_ALSO" ${ARGN})
  set(dump ${PERMIT_MAN_OUT}/${prog}.dump)
  # LC_ALL=C: the pages are the tables' own words, whatever language the build machine speaks.
  add_custom_command(OUTPUT ${dump}
    COMMAND sh -c "LC_ALL=C '$<TARGET_FILE:${prog}>' --dump-options > '${dump}'"
    DEPENDS ${prog} VERBATIM)
  add_custom_command(OUTPUT ${PERMIT_MAN_OUT}/${prog}.${section}
    COMMAND mangen page ${section} ${dump} ${PERMIT_MAN_OUT}/${prog}.${section} ${M_SEE_ALSO}
    DEPENDS mangen ${dump} VERBATIM)
  permit_man_gz(${prog}.${section})
  if(M_CONF)
    add_custom_command(OUTPUT ${PERMIT_MAN_OUT}/${prog}.conf.5
      COMMAND mangen conf ${M_CONF} ${dump} ${PERMIT_MAN_OUT}/${prog}.conf.5 ${prog}\(${section}\)
      DEPENDS mangen ${dump} VERBATIM)
    permit_man_gz(${prog}.conf.5)
  endif()
  add_custom_command(OUTPUT ${PERMIT_COMPLETION_OUT}/${prog}
    COMMAND mangen bash ${dump} ${PERMIT_COMPLETION_OUT}/${prog}
    DEPENDS mangen ${dump} VERBATIM)
  set(PERMIT_MAN_FILES ${PERMIT_MAN_FILES} ${PERMIT_COMPLETION_OUT}/${prog} PARENT_SCOPE)
endfunction()

set(etc ${CMAKE_INSTALL_FULL_SYSCONFDIR}/permit)
permit_man(permitd 8 CONF ${etc}/permitd.conf
  SEE_ALSO permitd.conf\(5\) permitctl\(1\) permit-agent\(8\) permit-notify\(8\))
permit_man(permit-agent 8 CONF ${etc}/agents/CODE.conf
  SEE_ALSO permit-agent.conf\(5\) permitd\(8\) permitctl\(1\))
permit_man(permit-notify 8 CONF ${etc}/notify.conf
  SEE_ALSO permit-notify.conf\(5\) permitd\(8\) permitctl\(1\))
permit_man(permit-web 8 CONF ${etc}/web.conf
  SEE_ALSO permit-web.conf\(5\) permitd\(8\) permitctl\(1\))
permit_man(permitctl 1 SEE_ALSO permitd\(8\) permit-agent\(8\) permit-notify\(8\))
add_custom_target(man ALL DEPENDS ${PERMIT_MAN_FILES})

# install() (cmake/packaging.cmake): a program's page, its config's page (CONF) and its
# completion, in its package.
function(permit_install_man prog section component)
  cmake_parse_arguments(M "CONF" "" "" ${ARGN})
  install(FILES ${PERMIT_MAN_OUT}/gz/${prog}.${section}.gz
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT ${component})
  if(M_CONF)
    install(FILES ${PERMIT_MAN_OUT}/gz/${prog}.conf.5.gz
      DESTINATION ${CMAKE_INSTALL_MANDIR}/man5 COMPONENT ${component})
  endif()
  install(FILES ${PERMIT_COMPLETION_OUT}/${prog}
    DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT ${component})
endfunction()
