# The Debian package: scripts/package runs `cpack -G DEB` on a Release build and gets
# bambuddy_<version>_amd64.deb. It holds the install components
#   server   /usr/bin/bambuddy
#   plugins  /usr/lib/bambuddy/plugins/*.so (the plugins/ folders; test plugins are not in it)
#   web      /usr/share/bambuddy/web (when the web interface is built)
#   sdk      /usr/include/bambuddy, /usr/lib/cmake/BambuddySDK, plugins/common as static libraries
#   debian   the files only the package has (below): excluded from a plain `cmake --install`,
#            whose absolute /etc and /lib paths would otherwise land outside its prefix.
include(${CMAKE_CURRENT_LIST_DIR}/PackagedConfig.cmake)

set(_deb_src ${PROJECT_SOURCE_DIR}/packaging/debian)
set(_deb_gen ${CMAKE_BINARY_DIR}/packaging)
set(BAMBUDDY_DEB_MAINTAINER "Bambuddy maintainers <maintainers@users.noreply.r-seed-3d0f0e72.example>"
    CACHE STRING "Maintainer field of the Debian package")

if(TARGET web_ui)
  set(_web_root /usr/share/bambuddy/web)
else()
  set(_web_root "")
  message(STATUS "The Debian package will have no web interface (it is not built)")
endif()
bambuddy_packaged_config(
  SOURCE ${PROJECT_SOURCE_DIR}/config/bambuddy.yaml
  OUTPUT ${_deb_gen}/bambuddy.yaml
  DATA_DIR /var/lib/bambuddy
  PLUGIN_DIR /usr/lib/bambuddy/plugins
  WEB_ROOT "${_web_root}")

# Debian wants the changelog and man page compressed with gzip -9n (no name, no time stamp).
# A function, so VERSION, MAINTAINER and DATE (the @placeholders@) stay local.
function(_bambuddy_deb_docs src gen)
  string(TIMESTAMP DATE "%a, %d %b %Y %H:%M:%S +0000" UTC) # honours SOURCE_DATE_EPOCH
  set(VERSION ${PROJECT_VERSION})
  set(MAINTAINER "${BAMBUDDY_DEB_MAINTAINER}")
  foreach(_file changelog bambuddy.1)
    set(_in ${src}/${_file})
    if(EXISTS ${_in}.in)
      set(_in ${_in}.in)
    endif()
    configure_file(${_in} ${gen}/${_file} @ONLY)
    execute_process(COMMAND gzip -9nc ${gen}/${_file} OUTPUT_FILE ${gen}/${_file}.gz
                    RESULT_VARIABLE _gzip_status)
    if(NOT _gzip_status EQUAL 0)
      message(FATAL_ERROR "gzip ${gen}/${_file} failed")
    endif()
  endforeach()
endfunction()
_bambuddy_deb_docs(${_deb_src} ${_deb_gen})

install(FILES ${_deb_gen}/bambuddy.yaml DESTINATION /etc/bambuddy COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES ${_deb_src}/bambuddy.service DESTINATION /lib/systemd/system
        COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES ${_deb_src}/copyright ${_deb_gen}/changelog.gz DESTINATION share/doc/bambuddy
        COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES ${_deb_gen}/bambuddy.1.gz DESTINATION share/man/man1 COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES ${_deb_src}/lintian-overrides DESTINATION share/lintian/overrides RENAME bambuddy
        COMPONENT debian EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bambuddy)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Bambuddy")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL server plugins web sdk debian)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_DEBIAN_PACKAGE_NAME bambuddy)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${BAMBUDDY_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "self-hosted server for Bambu Lab print farms")
# CPack puts the summary first; this is the extended description under it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Bambuddy connects to Bambu Lab printers, keeps their live state, archives
prints, runs a print queue, and serves an HTTP API with API keys, webhooks
and notifications (ntfy, e-mail) and a web interface.
.
The package runs it as the systemd service bambuddy.service with
/etc/bambuddy/bambuddy.yaml and keeps its data in /var/lib/bambuddy. It also
holds the plugin SDK (headers and CMake package files) for building plugins.")
# Library dependencies (libcctz2 among them) come from dpkg-shlibdeps; the maintainer scripts need
# adduser and deb-systemd-helper/-invoke; quiet hours read the zone files of tzdata.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.54~), tzdata")
# For building plugins against the installed SDK (the "common" component needs curl and json;
# bambuddy/date_time.hpp needs date.h, bambuddy/utf8.hpp utfcpp).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "cmake, g++, libcurl4-openssl-dev | libcurl-dev, nlohmann-json3-dev, libhowardhinnant-date-dev, libutfcpp-dev")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_deb_src}/postinst ${_deb_src}/prerm ${_deb_src}/postrm ${_deb_src}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
