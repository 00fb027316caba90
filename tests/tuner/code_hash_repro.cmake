# code_hash_repro.cmake -- one source built in two directories of different
# path lengths (two checkouts) gives two code objects that differ byte for
# byte (the build path is in their debug sections) and one code hash.
#
#   cmake -DTOOL=<test_code_hash> -DCOMPILER=<cc|nvcc> -DKIND=<cc|nvcc>
#         -DSRC_DIR=<dir> -DSRC=<file.c|file.cu> -DHEADERS=<a;b> -DINCLUDE=<dir;dir> -DWORK=<dir>
#         -P code_hash_repro.cmake
# KIND cc: <COMPILER> -g -O2 -c; nvcc: -cubin -O3 -lineinfo -arch=sm_90 (as
# kernels/CMakeLists.txt).  An empty COMPILER prints "SKIP: ..." (the test's
# SKIP_REGULAR_EXPRESSION).
if(NOT COMPILER)
  message("SKIP: no ${KIND} compiler on this machine")
  return()
endif()
set(_dirs "${WORK}/a" "${WORK}/a_much_longer_checkout_directory/of/attnroute")
set(_incs)
foreach(_i IN LISTS INCLUDE)
  list(APPEND _incs "-I${_i}")
endforeach()
set(_hashes)
set(_files)
foreach(_d IN LISTS _dirs)
  file(REMOVE_RECURSE "${_d}")
  file(MAKE_DIRECTORY "${_d}")
  foreach(_f IN LISTS SRC HEADERS)
    file(COPY "${SRC_DIR}/${_f}" DESTINATION "${_d}")
  endforeach()
  if(KIND STREQUAL "nvcc")
    set(_out "${_d}/obj.cubin")
    set(_cmd "${COMPILER}" -cubin -O3 -std=c++17 -arch=sm_90 -lineinfo "-I${_d}" ${_incs} -o "${_out}" "${_d}/${SRC}")
  else()
    set(_out "${_d}/obj.o")
    set(_cmd "${COMPILER}" -g -O2 -c "-I${_d}" ${_incs} -o "${_out}" "${_d}/${SRC}")
  endif()
  execute_process(COMMAND ${_cmd} WORKING_DIRECTORY "${_d}" RESULT_VARIABLE _rc ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${_cmd} failed (${_rc}): ${_err}")
  endif()
  execute_process(COMMAND "${TOOL}" hash "${_out}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _h
                  ERROR_VARIABLE _err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${TOOL} hash ${_out} failed: ${_err}")
  endif()
  list(APPEND _hashes "${_h}")
  list(APPEND _files "${_out}")
endforeach()
list(GET _files 0 _fa)
list(GET _files 1 _fb)
file(SHA256 "${_fa}" _ra)
file(SHA256 "${_fb}" _rb)
list(GET _hashes 0 _ha)
list(GET _hashes 1 _hb)
message("raw: ${_ra} vs ${_rb}")
message("code hash: ${_ha} vs ${_hb}")
if(_ra STREQUAL _rb)
  message(FATAL_ERROR "the two builds are byte-identical: the test no longer sees a build path "
                      "(did the compiler stop writing it?); nothing is shown")
endif()
if(NOT _ha STREQUAL _hb)
  message(FATAL_ERROR "same source, two directories, two code hashes")
endif()
