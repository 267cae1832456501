# Debian packages: `cpack -G DEB` (or `make package`) in the build folder
# writes fleetcast-server_<version>-1_<arch>.deb and fleetcast-client_...deb,
# one per install component. Library dependencies come from dpkg-shlibdeps;
# the programs run no other program, so nothing else is declared.
# tests/packages/install_test.sh installs both into a fresh Debian root.

include(GNUInstallDirs)

# Man pages from each program's --help and --version (help2man), with one
# section per subcommand from `PROGRAM SUB --help` (packaging/make-man.sh),
# and bash completions from the same help (packaging/make-completion.sh).
find_program(HELP2MAN help2man REQUIRED)
set(fleetcast_man_dir ${CMAKE_CURRENT_BINARY_DIR}/man)
set(fleetcast_completion_dir ${CMAKE_CURRENT_BINARY_DIR}/completions)
set(fleetcast_generated)
foreach(program fleetcast-server fleetcast-client)
  set(page ${fleetcast_man_dir}/${program}.1.gz)
  add_custom_command(OUTPUT ${page}
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/packaging/make-man.sh $<TARGET_FILE:${program}>
      ${CMAKE_CURRENT_SOURCE_DIR}/packaging/${program}.h2m ${page}
    DEPENDS ${program} packaging/make-man.sh packaging/${program}.h2m
    COMMENT "man page of ${program} (help2man)" VERBATIM)
  set(completion ${fleetcast_completion_dir}/${program})
  add_custom_command(OUTPUT ${completion}
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/packaging/make-completion.sh $<TARGET_FILE:${program}>
      ${completion}
    DEPENDS ${program} packaging/make-completion.sh
    COMMENT "bash completion of ${program}" VERBATIM)
  list(APPEND fleetcast_generated ${page} ${completion})
endforeach()
# Debian wants each package's changelog gzipped without a timestamp.
set(fleetcast_changelog ${CMAKE_CURRENT_BINARY_DIR}/changelog.Debian.gz)
add_custom_command(OUTPUT ${fleetcast_changelog}
  COMMAND gzip -9n < ${CMAKE_CURRENT_SOURCE_DIR}/packaging/changelog > ${fleetcast_changelog}
  DEPENDS packaging/changelog COMMENT "changelog.Debian.gz")
list(APPEND fleetcast_generated ${fleetcast_changelog})
add_custom_target(fleetcast_man_pages_and_completions ALL DEPENDS ${fleetcast_generated})

set(completions ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(TARGETS fleetcast-server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
install(FILES ${fleetcast_man_dir}/fleetcast-server.1.gz
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT server)
install(FILES ${fleetcast_completion_dir}/fleetcast-server DESTINATION ${completions} COMPONENT server)
install(FILES packaging/fleetcast-server.service DESTINATION /lib/systemd/system
  COMPONENT server)
install(FILES packaging/fleetcast-server.default DESTINATION /etc/default
  RENAME fleetcast-server COMPONENT server)
install(FILES packaging/60-fleetcast-server.conf DESTINATION lib/sysctl.d COMPONENT server)

foreach(component server client)
  install(FILES packaging/copyright ${fleetcast_changelog}
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/fleetcast-${component} COMPONENT ${component})
  install(FILES packaging/lintian/fleetcast-${component}
    DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides COMPONENT ${component})
endforeach()

install(TARGETS fleetcast-client RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT client)
install(FILES ${fleetcast_man_dir}/fleetcast-client.1.gz
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT client)
install(FILES ${fleetcast_completion_dir}/fleetcast-client DESTINATION ${completions} COMPONENT client)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_VENDOR fleetcast)
set(CPACK_PACKAGE_CONTACT "fleetcast maintainers <maintainers@users.noreply.h-seed-b2705ebd.example>")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server client)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME fleetcast-server)
string(CONCAT CPACK_COMPONENT_SERVER_DESCRIPTION
  "multicast disk-image deployment, server side\n"
  "Packs disk images (pack, verify, info, unpack, keygen), checks a room's\n"
  "inventory (probe) and streams an image to many fleetcast-client machines\n"
  "at once over UDP multicast (serve), as a command or as the hardened\n"
  "fleetcast-server systemd service.")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
  ${CMAKE_CURRENT_SOURCE_DIR}/packaging/server-control/conffiles
  ${CMAKE_CURRENT_SOURCE_DIR}/packaging/server-control/postinst
  ${CMAKE_CURRENT_SOURCE_DIR}/packaging/server-control/prerm
  ${CMAKE_CURRENT_SOURCE_DIR}/packaging/server-control/postrm)

set(CPACK_DEBIAN_CLIENT_PACKAGE_NAME fleetcast-client)
string(CONCAT CPACK_COMPONENT_CLIENT_DESCRIPTION
  "multicast disk-image deployment, node side\n"
  "Receives an image from fleetcast-server serve onto a disk, verifies it\n"
  "and writes the node's identity into it (receive, inject), or finds the\n"
  "server on the LAN (discover).")

include(CPack)
