/*
** aiter_abi.c -- an aiter code object's argument ABI from its note and its
** content, and its LDS against the device (aiter_abi.h, where the history
** these rules come from is laid out).
*/
#include "aiter_abi.h"

#include <stdio.h>
#include <string.h>

#include "aiter_pack.h"

/* One argument as the launcher's struct places it. */
typedef struct want_arg {
  int offset, size;
  const char *kind;
} want_arg;

#define GB "global_buffer"
#define BV "by_value"

/* FmhaFwdVarlenKernelArgs (asm_fmha_fwd_with_sink_varlen.cu, e4048607): out,
** q, k, v, lse, cu_seqlens_q, cu_seqlens_k; scale, gqa, q_head_num, opt,
** lse, max_q_len; sink.  The objects' notes list exactly these. */
static const want_arg sink_varlen_args[] = {
    {0x00, 8, GB}, {0x08, 8, GB}, {0x10, 8, GB}, {0x18, 8, GB}, {0x20, 8, GB},
    {0x28, 8, GB}, {0x30, 8, GB}, {0x38, 4, BV}, {0x3C, 4, BV}, {0x40, 4, BV},
    {0x44, 4, BV}, {0x48, 4, BV}, {0x4C, 4, BV}, {0x50, 8, GB}};

/* KernelArgs, PA_KARG_PRELOAD 1 (asm_pa_decode_bf16.cu, e4048607): 8
** pointers, 7 dwords (kv_nheads .. GQA), the padding 0x5C..0x77 (not an
** argument in the note), 7 pointers (O .. VScale). */
static const want_arg pa_decode_args[] = {
    {0x00, 8, GB}, {0x08, 8, GB}, {0x10, 8, GB}, {0x18, 8, GB}, {0x20, 8, GB}, {0x28, 8, GB},
    {0x30, 8, GB}, {0x38, 8, GB}, {0x40, 4, BV}, {0x44, 4, BV}, {0x48, 4, BV}, {0x4C, 4, BV},
    {0x50, 4, BV}, {0x54, 4, BV}, {0x58, 4, BV}, {0x78, 8, GB}, {0x80, 8, GB}, {0x88, 8, GB},
    {0x90, 8, GB}, {0x98, 8, GB}, {0xA0, 8, GB}, {0xA8, 8, GB}};

/* 0 when m's argument list (if the note has one) is want[0..n); else -1
** with why naming path and the first difference. */
static int args_match(const ar_amdgpu_kernel_meta *m, const char *path, const want_arg *want,
                      int n, const char *layout, char *why, size_t whylen) {
  if (m->args_total == 0) return 0; /* a note without .args: the size decides */
  if (m->args_total != n) {
    snprintf(why, whylen, "%s: the metadata note lists %d kernel arguments, the %s layout has "
                          "%d; refused", path, m->args_total, layout, n);
    return -1;
  }
  for (int i = 0; i < n; i++) {
    const ar_amdgpu_arg *a = &m->args[i];
    if (a->offset != want[i].offset || a->size != want[i].size ||
        strcmp(a->value_kind, want[i].kind) != 0) {
      snprintf(why, whylen, "%s: kernel argument %d is %lld bytes of %s at offset %lld, the %s "
                            "layout has %d bytes of %s at %d; refused",
               path, i, (long long)a->size, a->value_kind[0] ? a->value_kind : "(no kind)",
               (long long)a->offset, layout, want[i].size, want[i].kind, want[i].offset);
      return -1;
    }
  }
  return 0;
}

/* The 88-byte objects aiter launched with opt 4 and the full grid only, by
** SHA-256 of the file (aiter commit, path under hsa/gfx1250/fmha_fwd_bf16_varlen/). */
static const struct {
  const char *sha256, *commit, *file;
} opt4_only[] = {
    {"4ad4c4b605d92715c5e4a07c8d7da7dbef3bb9dc2e31976cf6e9c7c263cf744d", "a71255f8",
     "fmha_bf16_pertokenBf16_hd64_128x256_varlen.co"},
    {"15d6ff67316313e919315152a3b929b456ea99576f8f1322963f8896e8153705", "a71255f8",
     "fmha_bf16_pertokenBf16_hd128_128x256_varlen.co"},
    {"e464e5836549c84afe4dd9b8a39e88abcbb6909c8c345e3aba62a3a5b746ee1d", "1ab82adc",
     "fmha_bf16_pertokenBf16_hd64_128x256_varlen.co"},
    {"3222d567b557b85130f4d972da1239a9fb9172c3f94f21bb7479daa8aa178154", "1ab82adc",
     "fmha_bf16_pertokenBf16_hd64_128x256_mask_varlen.co"},
    {"a516240e47c83ba63ba559e8cd899aeb8f3af954d76c64b3f08fe0abce54d0ff", "1ab82adc",
     "fmha_bf16_pertokenBf16_hd128_128x256_varlen.co"},
    {"a2d21a87d1d4e91fa862aa4f1bbd31251b0d7837cb4519af43bcd94aea1618a5", "1ab82adc",
     "fmha_bf16_pertokenBf16_hd128_128x256_mask_varlen.co"}};

/* The 88-byte objects aiter launched with opt 7 and the halved grid (the
** 8c22067a ones with opt 4 first, until b467ce34). */
static const struct {
  const char *sha256, *commit, *file;
} opt7_known[] = {
    {"bedaf7325ca60fb291d5c1d932f21bc8fdf06a566407cab0af02c8a944401991", "8c22067a",
     "fmha_bf16_pertokenBf16_hd64_128x256_varlen.co"},
    {"73f8d48e18801d33b5ec0b78e33366e33139285c575482def141aeefcde5dc0f", "8c22067a",
     "fmha_bf16_pertokenBf16_hd64_128x256_mask_varlen.co"},
    {"0c01355d413a8db3436e5f841f2771d761d2db89ba9f39e62a5588faf9811072", "8c22067a",
     "fmha_bf16_pertokenBf16_hd128_128x256_varlen.co"},
    {"8d0201f2a2b2cea58cd9f27aee74aa572d1023aae6936a28caf58e1df0542a45", "8c22067a",
     "fmha_bf16_pertokenBf16_hd128_128x256_mask_varlen.co"},
    {"fd188462293e4d016bc7f0022e15faa5801234e5e9f2eabeae5c43a39713889f", "9bc48ade",
     "fmha_bf16_pertokenBf16_hd64_128x256_varlen.co"},
    {"01ea65b483cd810a6600664a4e86fcd68cb47777f582cb7630a008e6d4512a97", "9bc48ade",
     "fmha_bf16_pertokenBf16_hd64_128x256_mask_varlen.co"},
    {"ab5f81cbf971444d044bfe271e61f66f6c4e03d29fa58a5a6f39fda1f8f1aa35", "9bc48ade",
     "fmha_bf16_pertokenBf16_hd128_128x256_varlen.co"},
    {"d9d0d97223c73aef95b645ebc9316495160206ba8ec25e97a8e8d5feda02610a", "9bc48ade",
     "fmha_bf16_pertokenBf16_hd128_128x256_mask_varlen.co"},
    {"e953d021c4185ae3599092ac80fdf95b7be08eb1416b79905d6c31348697a0f4", "dc4bdf1c",
     "fmha_bf16_pertokenBf16_hd64_128x256_varlen.co"},
    {"5472701e012468930fca0c9247bef3b8973532eb19f21bf47c9757b631ca8209", "dc4bdf1c",
     "fmha_bf16_pertokenBf16_hd64_128x256_mask_varlen.co"},
    {"a40a4ff0c0016bfbcaeb03164708993ecd94af63564bfaa8306afb0a9ae8de92", "dc4bdf1c",
     "fmha_bf16_pertokenBf16_hd128_128x256_varlen.co"},
    {"5aa3ea34935e0b0cf94998ee70643801d78123ec9edbaa4d1e1a752e56b5e3e1", "dc4bdf1c",
     "fmha_bf16_pertokenBf16_hd128_128x256_mask_varlen.co"}};

int ar_aiter_sv_abi_select(const ar_amdgpu_kernel_meta *m, const char *path,
                           const char *sha256_hex, const char *override, char *how,
                           size_t howlen, char *why, size_t whylen) {
  if (howlen) how[0] = '\0';
  if (whylen) why[0] = '\0';
  if (m->kernarg_segment_size != AR_AITER_SINK_VARLEN_ARGS_SIZE) {
    if (m->kernarg_segment_size < 0)
      snprintf(why, whylen, "%s: its metadata note declares no kernarg_segment_size; refused",
               path);
    else
      snprintf(why, whylen,
               "%s: kernarg_segment_size %lld bytes, not the 88-byte sink-varlen ABI this tuner "
               "packs (aiter's objects since a71255f8, 2026-06-24)%s; refused",
               path, (long long)m->kernarg_segment_size,
               m->kernarg_segment_size == 132 ? "; 132 bytes is the layout of aiter's first "
                                                "objects (e6c7333e, 2026-06-13)"
                                              : "");
    return AR_AITER_SV_ABI_NONE;
  }
  int n = (int)(sizeof sink_varlen_args / sizeof sink_varlen_args[0]);
  if (args_match(m, path, sink_varlen_args, n, "88-byte sink-varlen", why, whylen))
    return AR_AITER_SV_ABI_NONE;
  if (override && override[0]) {
    if (strcmp(override, "4") == 0) {
      snprintf(how, howlen, "opt 4, full grid (%s=4)", AR_AITER_SV_OPT_ENV);
      return AR_AITER_SV_ABI_OPT4_FULL;
    }
    if (strcmp(override, "7") == 0) {
      snprintf(how, howlen, "opt 7, halved grid (%s=7)", AR_AITER_SV_OPT_ENV);
      return AR_AITER_SV_ABI_OPT7_HALVED;
    }
    snprintf(why, whylen, "%s: %s=%s: use 4 (opt 4, full grid) or 7 (opt 7, halved grid)", path,
             AR_AITER_SV_OPT_ENV, override);
    return AR_AITER_SV_ABI_NONE;
  }
  for (size_t i = 0; sha256_hex && i < sizeof opt4_only / sizeof opt4_only[0]; i++)
    if (strcmp(sha256_hex, opt4_only[i].sha256) == 0) {
      snprintf(how, howlen, "opt 4, full grid: aiter %s's %s, which aiter launched so only",
               opt4_only[i].commit, opt4_only[i].file);
      return AR_AITER_SV_ABI_OPT4_FULL;
    }
  for (size_t i = 0; sha256_hex && i < sizeof opt7_known / sizeof opt7_known[0]; i++)
    if (strcmp(sha256_hex, opt7_known[i].sha256) == 0) {
      snprintf(how, howlen, "opt 7, halved grid: aiter %s's %s, launched so since b467ce34",
               opt7_known[i].commit, opt7_known[i].file);
      return AR_AITER_SV_ABI_OPT7_HALVED;
    }
  snprintf(how, howlen,
           "opt 7, halved grid: not an object of aiter up to e4048607, and the note cannot tell "
           "opt 4 from opt 7, so aiter's launch since b467ce34 (%s=4 for an older object)",
           AR_AITER_SV_OPT_ENV);
  return AR_AITER_SV_ABI_OPT7_HALVED;
}

int ar_aiter_pd_abi_check(const ar_amdgpu_kernel_meta *m, const char *path, char *why,
                          size_t whylen) {
  if (whylen) why[0] = '\0';
  if (m->kernarg_segment_size != AR_AITER_PA_DECODE_ARGS_SIZE) {
    if (m->kernarg_segment_size < 0)
      snprintf(why, whylen, "%s: its metadata note declares no kernarg_segment_size; refused",
               path);
    else
      snprintf(why, whylen,
               "%s: kernarg_segment_size %lld bytes, not the 176-byte pa_decode_bf16_asm ABI "
               "(aiter since 67c18c70, 2026-06-30)%s; refused",
               path, (long long)m->kernarg_segment_size,
               m->kernarg_segment_size == 368 ? "; 368 bytes is the earlier 16-byte-slot layout"
                                              : "");
    return -1;
  }
  int n = (int)(sizeof pa_decode_args / sizeof pa_decode_args[0]);
  return args_match(m, path, pa_decode_args, n, "176-byte pa_decode_bf16_asm", why, whylen);
}

int ar_aiter_lds_check(const ar_amdgpu_kernel_meta *m, const char *path, int64_t device_lds,
                       char *why, size_t whylen) {
  if (whylen) why[0] = '\0';
  int64_t need = m->group_segment_fixed_size > 0 ? m->group_segment_fixed_size : 0;
  if (device_lds <= 0) {
    snprintf(why, whylen, "%s: needs %lld bytes of LDS per workgroup and the device's limit is "
                          "not known; refused", path, (long long)need);
    return -1;
  }
  if (need <= device_lds) return 0;
  snprintf(why, whylen, "%s: needs %lld bytes of LDS per workgroup (group_segment_fixed_size), "
                        "the device allows %lld; refused", path, (long long)need,
           (long long)device_lds);
  return -1;
}
