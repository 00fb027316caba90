# kernels/hip.cmake -- HIP builds of attnroute's portable kernels, include()d
# from kernels/CMakeLists.txt.
#
# Each portable kernel source kernels/<base>.cu (plain CUDA-dialect device
# code through vendor.h) becomes one code object <base>.hip.co in
# ${CMAKE_BINARY_DIR}/kernels/: `hipcc -x hip --genco` with one
# --offload-arch per entry of ATTNROUTE_HIP_ARCHS, so the file is a bundle
# holding every arch and hipModuleLoad picks the device's.  These are the
# names tuner/candidates/hip_candidates.h uses (AR_HIP_MOD_*).  The mma kernels (dense,
# paged, decode) are NVIDIA-only and not built here.
#
# Built when ATTNROUTE_HIP is ON (an error if hipcc is missing) or AUTO
# (when hipcc is found).  Target: ar_hip_kernels (part of ALL).  Sets
# ATTNROUTE_HIP_KERNELS (the .co paths) in the including scope.
#
# Which sources are portable: AR_HIP_KERNEL_BASES (set it before the
# include() to change the list); bases whose .cu is absent are skipped.

set(ATTNROUTE_HIP_KERNELS "")
string(TOUPPER "${ATTNROUTE_HIP}" _ar_hipk_mode)
if(NOT _ar_hipk_mode STREQUAL "AUTO" AND NOT ATTNROUTE_HIP)
  return()
endif()

find_program(AR_HIPCC hipcc
  HINTS ENV ROCM_PATH ENV HIP_PATH
  PATHS /opt/rocm
  PATH_SUFFIXES bin)
if(NOT AR_HIPCC)
  if(_ar_hipk_mode STREQUAL "AUTO")
    message(STATUS "attnroute: HIP kernels off (hipcc not found)")
    return()
  endif()
  message(FATAL_ERROR "attnroute: ATTNROUTE_HIP=${ATTNROUTE_HIP} but hipcc was not found.  "
    "Install ROCm (set ROCM_PATH) or, on Debian, 'apt-get install hipcc'.")
endif()

if(NOT DEFINED AR_HIP_KERNEL_BASES)
  set(AR_HIP_KERNEL_BASES attn_gather attn_ref)
endif()
set(AR_HIP_KERNEL_FLAGS "-O3" CACHE STRING "Extra hipcc flags for the project's HIP kernels")

set(_ar_hipk_dir ${CMAKE_BINARY_DIR}/kernels)
file(MAKE_DIRECTORY ${_ar_hipk_dir})
# Keep the arches this hipcc can build for (Debian's ROCm 5.2 has no
# gfx1250): under AUTO an unsupported arch is dropped with a warning, under
# ON it is an error naming the arch.
set(_ar_hipk_arch_flags "")
set(_ar_probe ${CMAKE_BINARY_DIR}/CMakeFiles/ar_hip_arch_probe.hip)
file(WRITE ${_ar_probe} "extern \"C\" __attribute__((global)) void ar_probe(int *p) { if (p) *p = 1; }\n")
foreach(_ar_arch IN LISTS ATTNROUTE_HIP_ARCHS)
  execute_process(COMMAND ${AR_HIPCC} -x hip --genco --offload-arch=${_ar_arch} ${_ar_probe}
                          -o ${_ar_probe}.${_ar_arch}.co
                  RESULT_VARIABLE _ar_probe_rc OUTPUT_QUIET ERROR_VARIABLE _ar_probe_err)
  if(_ar_probe_rc EQUAL 0)
    list(APPEND _ar_hipk_arch_flags --offload-arch=${_ar_arch})
  elseif(_ar_hipk_mode STREQUAL "AUTO")
    message(WARNING "attnroute: ${AR_HIPCC} cannot build for ${_ar_arch}; HIP kernels skip it "
                    "(set ATTNROUTE_HIP_ARCHS, e.g. gfx90a, or use a newer ROCm)")
  else()
    message(FATAL_ERROR "attnroute: ${AR_HIPCC} cannot build for ${_ar_arch} (ATTNROUTE_HIP_ARCHS): "
                        "${_ar_probe_err}Use a ROCm that supports it, or set ATTNROUTE_HIP_ARCHS.")
  endif()
endforeach()
if(NOT _ar_hipk_arch_flags AND _ar_hipk_mode STREQUAL "AUTO")
  message(STATUS "attnroute: HIP kernels off (no buildable arch in ATTNROUTE_HIP_ARCHS)")
  return()
endif()
if(NOT _ar_hipk_arch_flags)
  message(FATAL_ERROR "attnroute: ATTNROUTE_HIP_ARCHS is empty (e.g. gfx1250 or gfx90a;gfx942)")
endif()
separate_arguments(_ar_hipk_extra UNIX_COMMAND "${AR_HIP_KERNEL_FLAGS}")

set(_ar_hipk_headers
  ${CMAKE_CURRENT_LIST_DIR}/vendor.h
  ${CMAKE_CURRENT_LIST_DIR}/attn_args.h)
foreach(_ar_base IN LISTS AR_HIP_KERNEL_BASES)
  set(_ar_src ${CMAKE_CURRENT_LIST_DIR}/${_ar_base}.cu)
  if(NOT EXISTS ${_ar_src})
    continue()
  endif()
  set(_ar_out ${_ar_hipk_dir}/${_ar_base}.hip.co)
  add_custom_command(
    OUTPUT ${_ar_out}
    COMMAND ${CMAKE_COMMAND} -E env HIP_PLATFORM=amd
            ${AR_HIPCC} -x hip --genco ${_ar_hipk_arch_flags} ${_ar_hipk_extra}
            -I${CMAKE_CURRENT_LIST_DIR} ${_ar_src} -o ${_ar_out}
    DEPENDS ${_ar_src} ${_ar_hipk_headers}
    COMMENT "hipcc ${_ar_base}.cu -> ${_ar_base}.hip.co (${ATTNROUTE_HIP_ARCHS})"
    VERBATIM)
  list(APPEND ATTNROUTE_HIP_KERNELS ${_ar_out})
endforeach()

add_custom_target(ar_hip_kernels ALL DEPENDS ${ATTNROUTE_HIP_KERNELS})
message(STATUS "attnroute: HIP kernels for ${ATTNROUTE_HIP_ARCHS}: ${AR_HIP_KERNEL_BASES}")
