# tests/hip/check_fixture_notes.cmake -- an independent reader of the fixture
# objects: LLVM's llvm-readelf must decode each one's AMDGPU metadata note
# (no "Invalid AMDGPU Metadata") and print the 88-byte kernarg segment and
# the 327680 bytes of LDS that tuner/amdgpu_note.c reads from them.
#   cmake -DREADELF=... -DDIR=.../fmha_fwd_bf16_varlen -P check_fixture_notes.cmake
file(GLOB objects ${DIR}/*.co)
list(LENGTH objects n)
if(n EQUAL 0)
  message(FATAL_ERROR "no .co files under ${DIR}")
endif()
foreach(o ${objects})
  execute_process(COMMAND ${READELF} --notes ${o} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${READELF} --notes ${o} failed (${rc})")
  endif()
  if(out MATCHES "Invalid AMDGPU Metadata")
    message(FATAL_ERROR "${o}: llvm-readelf cannot decode its metadata note:\n${out}")
  endif()
  if(NOT out MATCHES "\\.kernarg_segment_size: +88" OR
     NOT out MATCHES "\\.group_segment_fixed_size: +327680")
    message(FATAL_ERROR "${o}: llvm-readelf reads another kernarg size or LDS:\n${out}")
  endif()
endforeach()
message(STATUS "${n} fixture notes decoded by ${READELF}")
