# install_test.cmake -- run by ctest (runtime.install) with cmake -P:
#   1. cmake --install the runtime component of BUILD_DIR into a fresh prefix;
#   2. configure, build and run consumer/ through find_package(attnroute),
#      linking the static and the shared library;
#   3. compile and run consumer/main.c with the flags pkg-config gives for
#      the installed attnroute.pc (when pkg-config is available): it links
#      the shared library with an rpath, so the program starts without
#      LD_LIBRARY_PATH.
# Inputs: BUILD_DIR WORK_DIR CONSUMER_DIR GENERATOR C_COMPILER CONFIG
#         SANITIZE (the build's ATTNROUTE_SANITIZE) PKG_CONFIG (may be empty).
cmake_minimum_required(VERSION 3.20)

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

set(config_args)
if(CONFIG)
  set(config_args --config ${CONFIG})
endif()
run_step("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
         --component runtime ${config_args})

foreach(f include/attnroute.h)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
file(GLOB_RECURSE installed RELATIVE ${prefix} ${prefix}/*)
message(STATUS "installed: ${installed}")
foreach(pattern "libattnroute\\.a" "libattnroute\\.so" "attnrouteConfig\\.cmake"
        "attnrouteConfigVersion\\.cmake" "attnrouteTargets\\.cmake" "pkgconfig/attnroute\\.pc")
  if(NOT installed MATCHES "${pattern}")
    message(FATAL_ERROR "nothing installed matches ${pattern}")
  endif()
endforeach()

set(san_flags "")
if(SANITIZE)
  set(san_flags "-fsanitize=${SANITIZE} -fno-omit-frame-pointer")
endif()

# find_package consumer.
set(cbuild ${WORK_DIR}/consumer-build)
run_step("configure consumer" ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${cbuild}
         -G ${GENERATOR} -DCMAKE_C_COMPILER=${C_COMPILER}
         -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release
         "-DCMAKE_C_FLAGS=${san_flags}" "-DCMAKE_EXE_LINKER_FLAGS=${san_flags}")
run_step("build consumer" ${CMAKE_COMMAND} --build ${cbuild})
foreach(exe consumer_static consumer_shared)
  run_step("run ${exe}" ${cbuild}/${exe})
endforeach()

# pkg-config consumer.
if(PKG_CONFIG)
  file(GLOB_RECURSE pcfiles ${prefix}/*/attnroute.pc)
  get_filename_component(pcdir "${pcfiles}" DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} ${pcdir})
  run_step("pkg-config" ${PKG_CONFIG} --cflags --libs attnroute)
  string(STRIP "${step_output}" pc_flags)
  separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
  separate_arguments(san_list UNIX_COMMAND "${san_flags}")
  run_step("pkg-config version" ${PKG_CONFIG} --modversion attnroute)
  run_step("compile with pkg-config" ${C_COMPILER} ${san_list} ${CONSUMER_DIR}/main.c
           ${pc_flags} -o ${WORK_DIR}/consumer_pc)
  if(NOT pc_flags MATCHES "-rpath")
    message(FATAL_ERROR "pkg-config gives no rpath: ${pc_flags}")
  endif()
  unset(ENV{LD_LIBRARY_PATH})
  run_step("run pkg-config consumer (no LD_LIBRARY_PATH)" ${WORK_DIR}/consumer_pc)
else()
  message(STATUS "pkg-config not found: pkg-config consumer skipped")
endif()
