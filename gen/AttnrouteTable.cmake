# AttnrouteTable.cmake -- generate an attnroute dispatch table at build time.
#
#   include(AttnrouteTable)      # or find_package(attnroute), which includes it
#   attnroute_generate_table(<target-or-name>
#       DB <db> OUTPUT <header> [NAME <c-identifier>] [ARGS <extra args>...]
#       [LIBRARY <library-target>])
#
# Runs gen/attnroute_gen.py on <db> to write <header> (relative OUTPUT paths
# are under CMAKE_CURRENT_BINARY_DIR, relative DB paths under
# CMAKE_CURRENT_SOURCE_DIR), re-running whenever the db, the script or a
# module of its package (attnroute_gen/) changes.  ARGS go to the script as given (--device gfx1250:256,
# --allow-stale, --lookup tree, --topk 2, ...).
#
# When <target-or-name> is an existing target, the header becomes one of its
# sources (so it is generated before the target compiles) and its directory
# a PRIVATE include directory.  Otherwise a custom target of that name is
# created, built by ALL, for other targets to add_dependencies() on.
#
# LIBRARY (needs NAME) also builds a compiled table: a shared library (a
# MODULE target of that name, file lib<library-target>.so) holding the table
# and exporting it as attnroute_table_export() (attnroute_table_export.c
# next to this file), for engines that load tables at run time (Python's
# attnroute.Table, or dlopen + dlsym of ATTNROUTE_TABLE_EXPORT_SYMBOL).  It
# needs attnroute.h only: the include folder of attnroute_runtime (in the
# source tree) or attnroute::runtime (found package).
#
# Needs a Python 3 interpreter: Python3_EXECUTABLE when set, else found here.

set(_ATTNROUTE_GEN_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/attnroute_gen.py"
    CACHE INTERNAL "attnroute table generator script")
file(GLOB _ar_gen_modules CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/attnroute_gen/*.py")
set(_ATTNROUTE_GEN_DEPENDS "${_ATTNROUTE_GEN_SCRIPT}" ${_ar_gen_modules}
    CACHE INTERNAL "attnroute table generator script and package")
set(_ATTNROUTE_EXPORT_SOURCE "${CMAKE_CURRENT_LIST_DIR}/attnroute_table_export.c"
    CACHE INTERNAL "attnroute compiled-table source")

function(attnroute_generate_table target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "DB;OUTPUT;NAME;LIBRARY" "ARGS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "attnroute_generate_table: unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_DB OR NOT ARG_OUTPUT)
    message(FATAL_ERROR "attnroute_generate_table(${target}): DB and OUTPUT are required")
  endif()
  if(NOT Python3_EXECUTABLE)
    find_package(Python3 3.9 REQUIRED COMPONENTS Interpreter)
  endif()
  get_filename_component(db "${ARG_DB}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  get_filename_component(out "${ARG_OUTPUT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  get_filename_component(out_dir "${out}" DIRECTORY)
  get_filename_component(out_name "${out}" NAME)
  set(name_args)
  if(ARG_NAME)
    set(name_args --name "${ARG_NAME}")
  endif()
  add_custom_command(
    OUTPUT "${out}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${out_dir}"
    COMMAND "${Python3_EXECUTABLE}" "${_ATTNROUTE_GEN_SCRIPT}" "${db}" -o "${out}"
            ${name_args} ${ARG_ARGS}
    DEPENDS "${db}" ${_ATTNROUTE_GEN_DEPENDS}
    COMMENT "attnroute: generating table ${out_name}"
    VERBATIM)
  if(ARG_LIBRARY)
    if(NOT ARG_NAME)
      message(FATAL_ERROR "attnroute_generate_table(${target}): LIBRARY needs NAME")
    endif()
    if(TARGET attnroute_runtime)
      set(runtime_target attnroute_runtime)
    elseif(TARGET attnroute::runtime)
      set(runtime_target attnroute::runtime)
    else()
      message(FATAL_ERROR "attnroute_generate_table(${target}): LIBRARY needs the "
                          "attnroute runtime (find_package(attnroute) or its source tree)")
    endif()
    add_library(${ARG_LIBRARY} MODULE "${_ATTNROUTE_EXPORT_SOURCE}" "${out}")
    set_target_properties(${ARG_LIBRARY} PROPERTIES PREFIX "lib" C_STANDARD 99
                          C_VISIBILITY_PRESET hidden)
    target_compile_definitions(${ARG_LIBRARY} PRIVATE
      "ATTNROUTE_TABLE_EXPORT_HEADER=\"${out}\"" "ATTNROUTE_TABLE_EXPORT_NAME=${ARG_NAME}")
    target_include_directories(${ARG_LIBRARY} PRIVATE
      $<TARGET_PROPERTY:${runtime_target},INTERFACE_INCLUDE_DIRECTORIES>)
  endif()
  # With LIBRARY the library target owns the header's rule (one owner, so
  # parallel builds do not race on it) and the other target depends on it.
  if(TARGET ${target})
    if(ARG_LIBRARY)
      add_dependencies(${target} ${ARG_LIBRARY})
    else()
      target_sources(${target} PRIVATE "${out}")
    endif()
    target_include_directories(${target} PRIVATE "${out_dir}")
  elseif(ARG_LIBRARY)
    add_custom_target(${target} ALL)
    add_dependencies(${target} ${ARG_LIBRARY})
  else()
    add_custom_target(${target} ALL DEPENDS "${out}")
  endif()
endfunction()
