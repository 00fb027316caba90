/*
** kernel_path.h -- finding code objects and hashing them.
**
** Code objects are searched, in order, in: the directories given with
** --kernel-dir, those in $ATTNROUTE_KERNEL_PATH (':'-separated), then next
** to the executable (<exe>/../kernels, <exe>/kernels, <exe>/../share/
** attnroute/kernels).  A candidate's code hash is the sha256 over its code
** objects in order, each hashed without its debug sections (elf_hash.h: the
** same source built in two directories hashes the same), host kernels as the
** sha256 of their sources fixed at build time, then the kernel symbols it
** launches from them ("0:ar_gather_tok", ...) and its launch
** fingerprint (launch_fingerprint.h: geometry, split rule, argument packing
** and the family's argument-ABI version).
*/
#ifndef AR_KERNEL_PATH_H
#define AR_KERNEL_PATH_H

#include <stddef.h>
#include "candidate.h"

/* Set the --kernel-dir directories (NULL-terminated, not copied). */
void ar_kernel_path_set_dirs(const char *const *dirs);

/* The project's cubins are named arch-neutrally, "<base>.cubin"; the file
** looked for is "<base>.sm_<arch>.cubin", arch the one ar_cubin_arch picks
** for the device from the archs built (ATTNROUTE_CUDA_ARCHS, "90" or
** "80,90"): the device's own when built, else the highest built one of the
** same major version below it (SASS runs on later minors of its major), else
** none (an error saying which to build).  Before a device is set, the first
** arch built.  built NULL: this build's list. */
void ar_kernel_path_set_cuda_arch(const char *device_arch, const char *built);

/* "sm_<arch>" into out for device_arch ("sm_86") from built ("80,90");
** 0, or -1 with err naming the device's arch and the archs built. */
int ar_cubin_arch(const char *device_arch, const char *built, char *out, size_t outlen, char *err,
                  size_t errlen);

/* Full path of a code object into out; 0, or -1 with err listing where it looked. */
int ar_kernel_path_find(const char *module, char *out, size_t outlen, char *err, size_t errlen);

/* Code hash of candidate c into hex; 0, or -1 with err (a missing object). */
int ar_candidate_code_hash(const ar_candidate *c, char hex[65], char *err, size_t errlen);

/* Load c's modules and resolve its kernels on b, using *cache (a small
** module cache, zero-initialised by the caller). */
typedef struct ar_module_cache {
  char paths[32][512];
  void *modules[32];
  int count;
} ar_module_cache;
int ar_candidate_load(ar_backend *b, ar_module_cache *cache, const ar_candidate *c, ar_loaded *out,
                      char *err, size_t errlen);

#endif /* AR_KERNEL_PATH_H */
