# Install rules and the Debian packages (issue 22). `cmake --install` puts the programs, the
# reference configuration, the data and the units in place; `cpack` (run in a build folder
# configured with -DCMAKE_INSTALL_PREFIX=/usr) makes one .deb per component:
#   permit-broker  permitd, its unit, the permit user, /etc/permit/permitd.conf, /var/lib/permit
#   permit-agent   a department agent and its unit: what an office machine gets
#   permit-notify  the notifier, its unit, routes and message templates
#   permit-web     the web console, its unit, its config and the proxy and Grafana samples
#   permitctl      the operator tools, the calendar data and the example imports
# Each package holds its programs' man pages and bash completion (cmake/man.cmake).
# The maintainer scripts (cmake/debian/COMPONENT/) create the users and folders; data is
# deleted on purge only, never on remove.
include(GNUInstallDirs)

# Debian keeps units under /lib/systemd/system; elsewhere they follow the prefix.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(PERMIT_UNITDIR_DEFAULT /lib/systemd/system)
else()
  set(PERMIT_UNITDIR_DEFAULT ${CMAKE_INSTALL_LIBDIR}/systemd/system)
endif()
set(PERMIT_UNITDIR ${PERMIT_UNITDIR_DEFAULT} CACHE PATH "Where the systemd units are installed")
set(PERMIT_ETC ${CMAKE_INSTALL_FULL_SYSCONFDIR}/permit)
set(PERMIT_SHARE ${CMAKE_INSTALL_DATADIR}/permit)

# The units in deploy/systemd name /usr/bin; another prefix gets its own bindir.
set(PERMIT_UNITS_OUT ${CMAKE_BINARY_DIR}/units)
file(MAKE_DIRECTORY ${PERMIT_UNITS_OUT})
function(permit_unit name component)
  file(READ ${CMAKE_SOURCE_DIR}/deploy/systemd/${name} text)
  string(REPLACE "/usr/bin/" "${CMAKE_INSTALL_FULL_BINDIR}/" text "${text}")
  file(WRITE ${PERMIT_UNITS_OUT}/${name} "${text}")
  install(FILES ${PERMIT_UNITS_OUT}/${name} DESTINATION ${PERMIT_UNITDIR} COMPONENT ${component})
endfunction()

# The packages' docs: README, the docs/ pages a component's reader needs, copyright, changelog.
function(permit_docs component package)
  set(docdir ${CMAKE_INSTALL_DATADIR}/doc/${package})
  install(FILES ${CMAKE_SOURCE_DIR}/cmake/debian/copyright DESTINATION ${docdir}
    COMPONENT ${component})
  install(FILES ${CMAKE_BINARY_DIR}/debian/changelog.Debian.gz DESTINATION ${docdir}
    COMPONENT ${component})
  install(FILES ${CMAKE_SOURCE_DIR}/README.md ${ARGN} DESTINATION ${docdir} COMPONENT ${component})
endfunction()

# broker
install(TARGETS permitd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT broker)
install(FILES deploy/permitd.conf DESTINATION ${PERMIT_ETC} COMPONENT broker)
install(FILES deploy/keys/README DESTINATION ${PERMIT_ETC}/keys COMPONENT broker)
permit_unit(permitd.service broker)
permit_install_mo(permitd broker)
permit_install_man(permitd 8 broker CONF)
permit_docs(broker permit-broker docs/install.md docs/operate.md docs/security.md
  docs/reliability.md docs/protocol.md docs/ha.md)
install(FILES deploy/ha/permitd.service deploy/ha/etcd-leader-to-witness.service
  deploy/ha/etcd-leader-to-witness.timer deploy/ha/etcd-leader-to-witness.sh
  deploy/ha/permitd.conf deploy/ha/haproxy.cfg
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/permit-broker/examples/ha COMPONENT broker)

# agent
install(TARGETS permit-agent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT agent)
file(GLOB PERMIT_AGENT_CONFS ${CMAKE_SOURCE_DIR}/deploy/agents/*.conf)
install(FILES ${PERMIT_AGENT_CONFS} DESTINATION ${PERMIT_ETC}/agents COMPONENT agent)
permit_unit(permit-agent@.service agent)
permit_install_mo(permit-agent agent)
permit_install_man(permit-agent 8 agent CONF)
permit_docs(agent permit-agent docs/agent.md docs/security.md)

# notifier
install(TARGETS permit-notify RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT notify)
install(FILES deploy/notify.conf deploy/routes.conf DESTINATION ${PERMIT_ETC} COMPONENT notify)
install(DIRECTORY deploy/templates/ DESTINATION ${PERMIT_SHARE}/templates COMPONENT notify)
permit_unit(permit-notify.service notify)
permit_install_mo(permit-notify notify)
permit_install_man(permit-notify 8 notify CONF)
permit_docs(notify permit-notify docs/notify.md docs/security.md)

# web console: the pages are inside the program; the proxy and dashboard samples are docs
install(TARGETS permit-web RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT web)
install(FILES deploy/web.conf DESTINATION ${PERMIT_ETC} COMPONENT web)
permit_unit(permit-web.service web)
permit_install_mo(permit-web web)
permit_install_man(permit-web 8 web CONF)
permit_docs(web permit-web docs/web.md docs/security.md)
install(FILES deploy/nginx/permit-web.conf deploy/grafana/permit-web.json
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/permit-web/examples COMPONENT web)

# operator tools (permit-bench stays in the build folder: it runs against a build's deploy/)
install(TARGETS permitctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT ctl)
permit_install_mo(permitctl ctl)
permit_install_man(permitctl 1 ctl)
install(DIRECTORY deploy/calendar/ DESTINATION ${PERMIT_SHARE}/calendar COMPONENT ctl)
install(FILES deploy/template.csv deploy/departments.csv deploy/projects.csv
  DESTINATION ${PERMIT_SHARE}/examples COMPONENT ctl)
permit_docs(ctl permitctl docs/import.md docs/operate.md)

# ---- Debian packages ---------------------------------------------------------------------
# A Debian changelog from the version; lintian wants one in every package.
string(TIMESTAMP PERMIT_PKG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(PERMIT_MAINTAINER "permit maintainers <permit-maintainers@example.org>" CACHE STRING
  "The Maintainer of the Debian packages")
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/debian)
file(WRITE ${CMAKE_BINARY_DIR}/debian/changelog.Debian
  "permit (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
  "  * Built from the permit source tree.\n\n"
  " -- ${PERMIT_MAINTAINER}  ${PERMIT_PKG_DATE}\n")
execute_process(COMMAND gzip -n -9 -f -k ${CMAKE_BINARY_DIR}/debian/changelog.Debian)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME permit)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${PERMIT_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "coordination broker for joint review and joint approval")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING IGNORE)
set(CPACK_COMPONENTS_ALL broker agent notify web ctl)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)

set(desc_tail "\n permit carries the events of a city's joint review and joint approval of\n construction projects (departments' decisions, statutory time limits in\n working days) through one ordered, durable log.")
set(CPACK_DEBIAN_BROKER_PACKAGE_NAME permit-broker)
set(CPACK_DEBIAN_BROKER_PACKAGE_DEPENDS "adduser")
set(CPACK_COMPONENT_BROKER_DESCRIPTION "coordination broker (permitd)${desc_tail}\n This package holds the broker, its systemd unit and its configuration.")
set(CPACK_DEBIAN_AGENT_PACKAGE_NAME permit-agent)
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "adduser")
set(CPACK_COMPONENT_AGENT_DESCRIPTION "department agent (permit-agent)${desc_tail}\n This package holds a department's agent, with its durable outbox and spool\n folder, and its systemd unit: what an office machine gets.")
set(CPACK_DEBIAN_NOTIFY_PACKAGE_NAME permit-notify)
set(CPACK_DEBIAN_NOTIFY_PACKAGE_DEPENDS "adduser")
set(CPACK_COMPONENT_NOTIFY_DESCRIPTION "notifier (permit-notify)${desc_tail}\n This package holds the notifier (webhooks, work-chat robots, e-mail), its\n routes, message templates and systemd unit.")
set(CPACK_DEBIAN_WEB_PACKAGE_NAME permit-web)
set(CPACK_DEBIAN_WEB_PACKAGE_DEPENDS "adduser")
set(CPACK_COMPONENT_WEB_DESCRIPTION "web console (permit-web)${desc_tail}\n This package holds the web console (wall board, project and department pages,\n JSON API, live stream, Prometheus metrics), its systemd unit and samples of\n the reverse proxy and a Grafana dashboard.")
set(CPACK_DEBIAN_CTL_PACKAGE_NAME permitctl)
set(CPACK_COMPONENT_CTL_DESCRIPTION "operator tools (permitctl)${desc_tail}\n This package holds permitctl (imports, status, tail, corrections, reports,\n key generation) and the official holiday calendars.")

# Maintainer scripts and the conffiles list: every file installed under /etc.
foreach(comp broker agent notify web ctl)
  string(TOUPPER ${comp} COMP)
  set(extra)
  foreach(script postinst prerm postrm)
    if(EXISTS ${CMAKE_SOURCE_DIR}/cmake/debian/${comp}/${script})
      list(APPEND extra ${CMAKE_SOURCE_DIR}/cmake/debian/${comp}/${script})
    endif()
  endforeach()
  set(conffiles)
  if(comp STREQUAL "broker")
    set(conffiles "${PERMIT_ETC}/permitd.conf\n${PERMIT_ETC}/keys/README\n")
  elseif(comp STREQUAL "agent")
    foreach(f ${PERMIT_AGENT_CONFS})
      get_filename_component(n ${f} NAME)
      string(APPEND conffiles "${PERMIT_ETC}/agents/${n}\n")
    endforeach()
  elseif(comp STREQUAL "notify")
    set(conffiles "${PERMIT_ETC}/notify.conf\n${PERMIT_ETC}/routes.conf\n")
  elseif(comp STREQUAL "web")
    set(conffiles "${PERMIT_ETC}/web.conf\n")
  endif()
  if(conffiles)
    file(WRITE ${CMAKE_BINARY_DIR}/debian/${comp}/conffiles "${conffiles}")
    list(APPEND extra ${CMAKE_BINARY_DIR}/debian/${comp}/conffiles)
  endif()
  set(CPACK_DEBIAN_${COMP}_PACKAGE_CONTROL_EXTRA ${extra})
endforeach()

include(CPack)
