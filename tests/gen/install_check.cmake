# install_check.cmake -- ctest gen_install: install the generator component
# of the build into a fresh prefix, then configure, build and run
# tests/gen/consumer against it (the installed AttnrouteTable.cmake and
# bin/attnroute-gen), and once more through add_subdirectory() of the
# attnroute source (SRC/../..).  Run with cmake -P and
#   -DBUILD=<attnroute build dir> -DWORK=<scratch dir> -DSRC=<tests/gen dir>
#   -DDB=<fixture db> -DINCLUDE=<runtime/include> -DGENERATOR=<cmake generator>
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
endfunction()

run("install" ${CMAKE_COMMAND} --install ${BUILD} --component attnroute_gen
    --prefix ${WORK}/prefix)
foreach(f share/attnroute/AttnrouteTable.cmake share/attnroute/attnroute_gen.py bin/attnroute-gen
          share/attnroute/attnroute_gen/__init__.py share/attnroute/attnroute_gen/legacy.py)
  if(NOT EXISTS ${WORK}/prefix/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
run("configure consumer" ${CMAKE_COMMAND} -S ${SRC}/consumer -B ${WORK}/build
    -G "${GENERATOR}" -DATTNROUTE_PREFIX=${WORK}/prefix -DFIXTURE_DB=${DB}
    -DATTNROUTE_INCLUDE=${INCLUDE})
run("build consumer" ${CMAKE_COMMAND} --build ${WORK}/build)
if(NOT EXISTS ${WORK}/build/tables/consumer_table.h)
  message(FATAL_ERROR "table not generated")
endif()
file(READ ${WORK}/build/tables/consumer_table.h header)
if(NOT header MATCHES "--topk 2")
  message(FATAL_ERROR "ARGS not passed to the generator")
endif()
run("consumer" ${WORK}/build/consumer)
run("bin/attnroute-gen" ${WORK}/prefix/bin/attnroute-gen ${DB} -o ${WORK}/bin_gen.h --name bin_gen)
file(READ ${WORK}/bin_gen.h header)
if(NOT header MATCHES "bin_gen")
  message(FATAL_ERROR "bin/attnroute-gen wrote no table")
endif()
message(STATUS "installed generator works")

get_filename_component(root ${SRC}/../.. ABSOLUTE)
run("configure add_subdirectory consumer" ${CMAKE_COMMAND} -S ${SRC}/consumer -B ${WORK}/subdir
    -G "${GENERATOR}" -DATTNROUTE_SOURCE=${root} -DFIXTURE_DB=${DB})
run("build add_subdirectory consumer" ${CMAKE_COMMAND} --build ${WORK}/subdir)
run("add_subdirectory consumer" ${WORK}/subdir/consumer)
message(STATUS "add_subdirectory(attnroute) gives attnroute_generate_table() and the runtime")
