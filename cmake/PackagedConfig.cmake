# bambuddy_packaged_config(SOURCE <yaml> OUTPUT <yaml> DATA_DIR <dir> PLUGIN_DIR <dir> [WEB_ROOT <dir>])
#
# Writes the configuration the Debian package installs as /etc/bambuddy/bambuddy.yaml, generated
# from the default config (config/bambuddy.yaml) at configure time so the two cannot drift: the
# same listen address, plugins and comments, with only the installed paths set. A default config
# whose layout no longer has the lines this relies on stops the configure step with the reason,
# rather than producing a package config that silently differs.
function(bambuddy_packaged_config)
  cmake_parse_arguments(C "" "SOURCE;OUTPUT;DATA_DIR;PLUGIN_DIR;WEB_ROOT" "" ${ARGN})
  file(READ "${C_SOURCE}" _text)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${C_SOURCE}")
  set(_text "\n${_text}") # every top-level key now follows a newline

  # Each rewritten key must appear exactly once at the top level; the added ones not at all.
  foreach(_expect "\ndata_dir:" "\nserver:\n" "\nplugins:\n")
    string(REGEX MATCHALL "${_expect}" _hits "${_text}")
    list(LENGTH _hits _count)
    if(NOT _count EQUAL 1)
      string(STRIP "${_expect}" _key)
      message(FATAL_ERROR "${C_SOURCE}: expected one top-level '${_key}' line to derive the "
                          "package config from, found ${_count} (update cmake/PackagedConfig.cmake)")
    endif()
  endforeach()
  foreach(_forbidden "\n  web_root:" "\n  search_path:")
    string(FIND "${_text}" "${_forbidden}" _at)
    if(NOT _at EQUAL -1)
      string(STRIP "${_forbidden}" _key)
      message(FATAL_ERROR "${C_SOURCE}: sets '${_key}', which the package config sets itself "
                          "(update cmake/PackagedConfig.cmake)")
    endif()
  endforeach()

  string(REGEX REPLACE "\ndata_dir:[^\n]*" "\ndata_dir: ${C_DATA_DIR}" _text "${_text}")
  set(_server "\nserver:\n")
  if(C_WEB_ROOT)
    string(APPEND _server "  # The web interface installed by the package.\n  web_root: ${C_WEB_ROOT}\n")
  endif()
  string(REPLACE "\nserver:\n" "${_server}" _text "${_text}")
  string(REPLACE "\nplugins:\n"
    "\nplugins:\n  # The package's plugins; add a directory here for plugins of your own.\n  search_path: [${C_PLUGIN_DIR}]\n"
    _text "${_text}")
  string(SUBSTRING "${_text}" 1 -1 _text)

  set(_header "# Installed by the bambuddy Debian package as a conffile: your changes are kept on upgrade.\n")
  string(APPEND _header "# Generated from the source tree's config/bambuddy.yaml with the installed paths set.\n")
  string(APPEND _header "# The service (bambuddy.service) runs as the bambuddy user with this file; after a change:\n")
  string(APPEND _header "#   bambuddy --check-config /etc/bambuddy/bambuddy.yaml && systemctl restart bambuddy\n")
  string(APPEND _header "# To serve the LAN set server.listen to 0.0.0.0:<port>, or BAMBUDDY_LISTEN in a drop-in\n")
  string(APPEND _header "# (systemctl edit bambuddy).\n#\n")
  file(WRITE "${C_OUTPUT}.tmp" "${_header}${_text}")
  configure_file("${C_OUTPUT}.tmp" "${C_OUTPUT}" COPYONLY) # touched only when it changes
  file(REMOVE "${C_OUTPUT}.tmp")
endfunction()
