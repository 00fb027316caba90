/*
** aiter_manifest.h -- find an aiter ASM code object through aiter's CSV
** manifests.
**
** aiter ships its hand-written kernels as code objects under
** hsa/<arch>/<kernel folder>/<name>.co, each folder with one or more CSV
** manifests (<name>.csv): a header row naming the columns, then one row per kernel.
** Every manifest has `knl_name` (the kernel symbol, e.g.
** _ZN5aiter48fmha_bf16_pertokenBf16_hd64_128x256_mask_varlenE) and
** `co_name` (the code object file, relative to the manifest's folder); the
** other columns say what the kernel does (dtype, hdim_q, hdim_v, mask, ...)
** and differ per folder.  Lines starting with '#' or "//" are comments.
**
** The hsa folder may be given as aiter's hsa/ folder (what AITER_ASM_DIR
** points at), as the arch folder inside it, or as an aiter checkout root:
** <dir>/<arch>/<folder>, <dir>/<folder> and <dir>/hsa/<arch>/<folder> are
** tried in that order.  All manifests (files ending .csv) of the folder are searched in
** name order; the first matching row wins.
**
** Nothing here touches a device: a missing folder, manifest, column, row or
** code object is reported in plain words, never a crash.
*/
#ifndef AR_AITER_MANIFEST_H
#define AR_AITER_MANIFEST_H

#include <stddef.h>

#define AR_AITER_SYMBOL_MAX 256
#define AR_AITER_PATH_MAX 4096

/* One condition on a manifest row.  value may list alternatives separated
** by '|' ("1|2"); numbers compare as numbers (" 64" == "64").  A required
** column missing from a manifest makes that manifest unusable; an optional
** one is then ignored. */
typedef struct ar_aiter_match {
  const char *column;
  const char *value;
  int required;
} ar_aiter_match;

typedef struct ar_aiter_kernel {
  char symbol[AR_AITER_SYMBOL_MAX]; /* OUT: knl_name */
  char co_path[AR_AITER_PATH_MAX];  /* OUT: code object path (exists, readable) */
  char manifest[AR_AITER_PATH_MAX]; /* OUT: the manifest the row came from */
} ar_aiter_kernel;

/* Search the manifest csv_path (co_name resolved against its folder).
** Returns 0 with *out filled, or -1 with why (and *out zeroed). */
int ar_aiter_manifest_find(const char *csv_path, const ar_aiter_match *match, int nmatch,
                           ar_aiter_kernel *out, char *why, size_t whylen);

/* Search every manifest of <hsa_dir>/<arch>/<folder> (see above for the
** places tried).  Returns 0 with *out filled, or -1 with why. */
int ar_aiter_find(const char *hsa_dir, const char *arch, const char *folder,
                  const ar_aiter_match *match, int nmatch, ar_aiter_kernel *out, char *why,
                  size_t whylen);

/* The causal bf16 sink-varlen kernel (fmha_fwd_with_sink_varlen_asm) for
** head_dim 64 or 128, in folder fmha_fwd_bf16_varlen. */
int ar_aiter_find_sink_varlen(const char *hsa_dir, const char *arch, int head_dim,
                              ar_aiter_kernel *out, char *why, size_t whylen);

#endif /* AR_AITER_MANIFEST_H */
