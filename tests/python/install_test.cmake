# install_test.cmake -- run by ctest (python.install) with cmake -P:
#   1. cmake --install the runtime, generator and python components of
#      BUILD_DIR into a fresh prefix;
#   2. run install_check.py with the installed package on PYTHONPATH and no
#      LD_LIBRARY_PATH: it must load the installed libattnroute, compile a
#      table with the installed generator and route through it.
# Inputs: BUILD_DIR WORK_DIR PYTHON PYDIR (install dir of the package,
#         relative to the prefix) CONFIG TABLE (a compiled table) CHECK
#         (install_check.py) DB (a db to compile) PRELOAD_ENV (the test's
#         environment list; its LD_PRELOAD/ASAN_OPTIONS entries are kept).
cmake_minimum_required(VERSION 3.20)

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(config_args)
if(CONFIG)
  set(config_args --config ${CONFIG})
endif()
foreach(component runtime attnroute_gen python)
  execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
                          --component ${component} ${config_args}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install ${component} failed (${rc}):\n${out}\n${err}")
  endif()
endforeach()
if(NOT EXISTS ${prefix}/${PYDIR}/attnroute/__init__.py)
  message(FATAL_ERROR "not installed: ${PYDIR}/attnroute/__init__.py")
endif()

foreach(entry IN LISTS PRELOAD_ENV)
  if(entry MATCHES "^(LD_PRELOAD|ASAN_OPTIONS)=(.*)$")
    set(ENV{${CMAKE_MATCH_1}} "${CMAKE_MATCH_2}")
  endif()
endforeach()
unset(ENV{LD_LIBRARY_PATH})
unset(ENV{ATTNROUTE_LIBRARY})
set(ENV{PYTHONPATH} ${prefix}/${PYDIR})
execute_process(COMMAND ${PYTHON} ${CHECK} --prefix ${prefix} --table ${TABLE} --db ${DB}
                        --work ${WORK_DIR}
                WORKING_DIRECTORY ${WORK_DIR}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install_check.py failed (${rc}):\n${out}\n${err}")
endif()
