# python_tool.cmake -- attnroute_install_python_tool(): install a Python
# tool of attnroute (standard library only) into share/attnroute, beside
# the generator package attnroute_gen/ that the tools import, and a small sh
# wrapper PREFIX/bin/<command> that runs it with python3 (or $ATTNROUTE_PYTHON):
#
#   attnroute_install_python_tool(COMMAND attnroute-report SCRIPT <path.py>
#                                 [COMPONENT <component>])
#
# The wrapper finds the script relative to its own folder, so the install
# tree can be moved.  Included by gen/ and tools/.
include_guard(GLOBAL)
include(GNUInstallDirs)

function(attnroute_install_python_tool)
  cmake_parse_arguments(ARG "" "COMMAND;SCRIPT;COMPONENT" "" ${ARGN})
  if(NOT ARG_COMMAND OR NOT ARG_SCRIPT)
    message(FATAL_ERROR "attnroute_install_python_tool: COMMAND and SCRIPT are required")
  endif()
  set(component_args)
  if(ARG_COMPONENT)
    set(component_args COMPONENT ${ARG_COMPONENT})
  endif()
  get_filename_component(script_name "${ARG_SCRIPT}" NAME)
  install(PROGRAMS "${ARG_SCRIPT}" DESTINATION share/attnroute ${component_args})
  if(IS_ABSOLUTE "${CMAKE_INSTALL_BINDIR}")
    set(script_dir "${CMAKE_INSTALL_PREFIX}/share/attnroute")
    set(script_path "\"${script_dir}/${script_name}\"")
  else()
    file(RELATIVE_PATH rel "/prefix/${CMAKE_INSTALL_BINDIR}" "/prefix/share/attnroute")
    set(script_path "\"$here/${rel}/${script_name}\"")
  endif()
  set(wrapper "${CMAKE_BINARY_DIR}/install-bin/${ARG_COMMAND}")
  file(WRITE "${wrapper}"
       "#!/bin/sh\n"
       "# ${ARG_COMMAND} -- runs attnroute's ${script_name} from this installation.\n"
       "here=$(cd \"$(dirname \"$0\")\" && pwd)\n"
       "exec \"\${ATTNROUTE_PYTHON:-python3}\" ${script_path} \"$@\"\n")
  install(PROGRAMS "${wrapper}" DESTINATION ${CMAKE_INSTALL_BINDIR} ${component_args})
endfunction()
