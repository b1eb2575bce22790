# The web interface (web/, TypeScript + Vite) is built into <build>/web, next to the server binary,
# where the server finds it without configuration. Needs Node.js and npm (scripts/setup checks);
# without them the server is built anyway and serves the API only.
option(BAMBUDDY_BUILD_WEB "Build the web interface (needs node and npm)" ON)

set(_web_src ${PROJECT_SOURCE_DIR}/web)
if(BAMBUDDY_BUILD_WEB AND EXISTS ${_web_src}/package.json)
  find_program(BAMBUDDY_NODE node)
  find_program(BAMBUDDY_NPM npm)
  if(BAMBUDDY_NODE)
    execute_process(COMMAND ${BAMBUDDY_NODE} -p "process.versions.node" OUTPUT_VARIABLE _node_version
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  endif()
  if(NOT BAMBUDDY_NODE OR NOT BAMBUDDY_NPM)
    message(WARNING "node/npm not found: the web interface is not built (run scripts/setup)")
  elseif(_node_version VERSION_LESS 20.19)
    message(WARNING "Node.js ${_node_version} is older than 20.19 (Vite 7): the web interface is not built")
  else()
    file(GLOB_RECURSE _web_inputs CONFIGURE_DEPENDS
         ${_web_src}/src/* ${_web_src}/public/*)
    list(APPEND _web_inputs ${_web_src}/index.html ${_web_src}/package.json ${_web_src}/package-lock.json)
    file(GLOB _web_configs CONFIGURE_DEPENDS ${_web_src}/*.config.* ${_web_src}/tsconfig*.json)
    list(APPEND _web_inputs ${_web_configs})
    set(BAMBUDDY_WEB_ROOT ${CMAKE_BINARY_DIR}/web)
    add_custom_command(
      OUTPUT ${BAMBUDDY_WEB_ROOT}/index.html
      COMMAND ${PROJECT_SOURCE_DIR}/scripts/build-web --out ${BAMBUDDY_WEB_ROOT}
      DEPENDS ${_web_inputs} ${PROJECT_SOURCE_DIR}/scripts/build-web
      COMMENT "Building the web interface into ${BAMBUDDY_WEB_ROOT}"
      VERBATIM)
    add_custom_target(web_ui ALL DEPENDS ${BAMBUDDY_WEB_ROOT}/index.html)
    # The Debian package's /usr/share/bambuddy/web (cmake/Packaging.cmake).
    install(DIRECTORY ${BAMBUDDY_WEB_ROOT}/ DESTINATION share/bambuddy/web COMPONENT web)

    if(BAMBUDDY_BUILD_TESTS)
      # Unit tests of the UI's own logic (vitest).
      add_test(NAME web_unit COMMAND ${BAMBUDDY_NPM} test --silent WORKING_DIRECTORY ${_web_src})
      # The browser tests: a real server with printer-sim, a webhook receiver and a Bambu printer
      # (mosquitto with TLS and the printer simulator), driven through Debian's chromium. Screenshots of every screen land in <build>/web-screenshots.
      if(EXISTS ${_web_src}/e2e/run.mjs)
        add_test(NAME web_e2e
                 COMMAND ${BAMBUDDY_NODE} ${_web_src}/e2e/run.mjs
                         --server $<TARGET_FILE:bambuddy>
                         --plugin-dir ${BAMBUDDY_PLUGIN_OUTPUT_DIR}
                         --web-root ${BAMBUDDY_WEB_ROOT}
                         --out ${CMAKE_BINARY_DIR}/web-screenshots
                         --printer-sim $<TARGET_FILE:bambu_printer_sim>)
        set_tests_properties(web_e2e PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
      endif()
    endif()
  endif()
endif()
