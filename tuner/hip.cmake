# tuner/hip.cmake -- find HIP for the HIP backend (backends/backend_hip.c,
# HIP's module API from plain C: no hipcc needed here).  include()d from
# tuner/CMakeLists.txt, which compiles the backend into ar_tuner_backends and
# the HIP candidate table into ar_tuner_candidates when HIP is found.
#
# Found when ATTNROUTE_HIP is ON (an error if HIP is missing) or AUTO (when
# HIP's headers and libamdhip64 are found: ROCm under $ROCM_PATH, $HIP_PATH
# or /opt/rocm, or Debian's libamdhip64-dev).  Sets AR_HIP_INCLUDE_DIR,
# AR_HIP_LIBRARY and ATTNROUTE_HAVE_HIP (cache, internal: ON when found).

set(ATTNROUTE_HAVE_HIP OFF CACHE INTERNAL "HIP backend is built")
string(TOUPPER "${ATTNROUTE_HIP}" _ar_hip_mode)
if(NOT _ar_hip_mode STREQUAL "AUTO" AND NOT ATTNROUTE_HIP)
  return()
endif()

find_path(AR_HIP_INCLUDE_DIR hip/hip_runtime_api.h
  HINTS ENV ROCM_PATH ENV HIP_PATH
  PATHS /opt/rocm
  PATH_SUFFIXES include)
find_library(AR_HIP_LIBRARY amdhip64
  HINTS ENV ROCM_PATH ENV HIP_PATH
  PATHS /opt/rocm
  PATH_SUFFIXES lib lib64)

if(NOT AR_HIP_INCLUDE_DIR OR NOT AR_HIP_LIBRARY)
  set(_ar_hip_missing "hip/hip_runtime_api.h: ${AR_HIP_INCLUDE_DIR}, libamdhip64: ${AR_HIP_LIBRARY}")
  if(_ar_hip_mode STREQUAL "AUTO")
    message(STATUS "attnroute: HIP backend off (${_ar_hip_missing})")
    return()
  endif()
  message(FATAL_ERROR "attnroute: ATTNROUTE_HIP=${ATTNROUTE_HIP} but HIP was not found "
    "(${_ar_hip_missing}).  Install ROCm (set ROCM_PATH) or, on Debian, "
    "'apt-get install libamdhip64-dev hipcc'.")
endif()

set(ATTNROUTE_HAVE_HIP ON CACHE INTERNAL "HIP backend is built")
message(STATUS "attnroute: HIP backend on (${AR_HIP_LIBRARY})")
