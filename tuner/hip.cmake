# tuner/hip.cmake -- the HIP backend as a static library, ar_backend_hip:
# backend_hip.c (HIP's module API from C), candidates_hip.c (the HIP
# candidate table) and the aiter helpers (argument packing, CSV manifests).
# include()d from tuner/CMakeLists.txt.
#
# Built when ATTNROUTE_HIP is ON (an error if HIP is missing) or AUTO (when
# HIP's headers and libamdhip64 are found: ROCm under $ROCM_PATH, $HIP_PATH
# or /opt/rocm, or Debian's libamdhip64-dev).  Plain C: no hipcc needed here.
# Targets linking ar_backend_hip get AR_HAVE_HIP=1 and libamdhip64.  The
# symbols it leaves to the tuner: ar_family_paged_run (families.c).
# Sets ATTNROUTE_HAVE_HIP (cache, internal: ON when ar_backend_hip exists).

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

add_library(ar_backend_hip STATIC
  ${CMAKE_CURRENT_LIST_DIR}/backends/backend_hip.c
  ${CMAKE_CURRENT_LIST_DIR}/candidates/candidates_hip.c
  ${CMAKE_CURRENT_LIST_DIR}/candidates/aiter_pack.c
  ${CMAKE_CURRENT_LIST_DIR}/candidates/aiter_manifest.c)
set_target_properties(ar_backend_hip PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
target_include_directories(ar_backend_hip
  PUBLIC ${CMAKE_CURRENT_LIST_DIR}/backends ${CMAKE_CURRENT_LIST_DIR}/candidates ${PROJECT_SOURCE_DIR}/kernels
  PRIVATE ${AR_HIP_INCLUDE_DIR})
target_compile_definitions(ar_backend_hip
  PRIVATE __HIP_PLATFORM_AMD__=1
  INTERFACE AR_HAVE_HIP=1)
target_compile_options(ar_backend_hip PRIVATE
  $<$<C_COMPILER_ID:GNU,Clang>:-Wall -Wextra>)
target_link_libraries(ar_backend_hip PUBLIC attnroute_runtime ${AR_HIP_LIBRARY})

set(ATTNROUTE_HAVE_HIP ON CACHE INTERNAL "HIP backend is built")
message(STATUS "attnroute: HIP backend on (${AR_HIP_LIBRARY})")
