/*
** test_hip_candidates.c -- the HIP candidate table without a GPU: names,
** families, legacy routes and capability limits; availability through the
** fixture aiter tree (argv[1]: tests/hip/fixtures) with and without
** --aiter-hsa / AITER_ASM_DIR and for the device's arch; the ABI read from
** the objects' notes: a 132-byte object (argv[2]: a scratch folder for a
** built aiter tree) unavailable with the file and the size,
** AR_AITER_SV_OPT=4 giving the opt 4 full-grid launch; the aiter
** sink-varlen run function against a recording fake backend (gather first
** when cached, then the 0x58-byte aiter buffer on the right K/V, LSE asked
** for; an object whose LDS the device cannot hold refused); pa_decode
** refusing to run, saying why.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aiter_pack.h"
#include "attn_args.h"
#include "hip_candidates.h"
#include "note_fixture.h"

#include "../check.h"

/* ------------------------------------------------- a recording backend */

typedef struct launch_rec {
  void *fn;
  unsigned grid[3], block[3], shared;
  size_t size;
  uint8_t args[256];
} launch_rec;

static launch_rec recs[8];
static int nrecs = 0;

static int fake_launch(ar_backend *b, void *fn, const unsigned grid[3], const unsigned block[3],
                       unsigned shared_bytes, void *args, size_t args_size) {
  (void)b;
  if (nrecs == 8 || args_size > sizeof recs[0].args) return -1;
  launch_rec *r = &recs[nrecs++];
  r->fn = fn;
  memcpy(r->grid, grid, sizeof r->grid);
  memcpy(r->block, block, sizeof r->block);
  r->shared = shared_bytes;
  r->size = args_size;
  memcpy(r->args, args, args_size);
  return 0;
}

static const char *fake_error(ar_backend *b) {
  (void)b;
  return "fake";
}

/* What the run functions said through ar_backend_fail. */
static char fake_msg[512];
static void fake_set_error(ar_backend *b, const char *msg) {
  (void)b;
  snprintf(fake_msg, sizeof fake_msg, "%s", msg);
}

static int64_t fake_lds = 327680; /* what the fake device allows per workgroup */

static int fake_info(ar_backend *b, ar_device_info *out) {
  (void)b;
  memset(out, 0, sizeof *out);
  snprintf(out->arch, sizeof out->arch, "gfx1250");
  out->cu_count = 256;
  out->wgp_count = 128;
  out->lds_per_block = fake_lds;
  return 0;
}

static const ar_backend_ops fake_ops = {.version = AR_BACKEND_VERSION, .name = "fake",
                                        .device_info = fake_info, .launch = fake_launch,
                                        .error_text = fake_error, .set_error = fake_set_error};
static ar_backend fake = {&fake_ops, NULL};

/* ------------------------------------------------------------- helpers */

static const ar_candidate *find(const char *name) {
  int n = 0;
  const ar_candidate *const *all = ar_candidates_hip(&n);
  for (int i = 0; i < n; i++)
    if (strcmp(all[i]->name, name) == 0) return all[i];
  return NULL;
}

static attnroute_problem gptoss(void) {
  attnroute_problem p;
  attnroute_problem_init(&p);
  p.num_seqs = 2;
  p.max_seqlen_q = 300;
  p.max_seqlen_k = 1300;
  p.has_cached = 1;
  p.num_q_heads = 64;
  p.num_kv_heads = 8;
  p.head_dim = 64;
  p.has_sinks = 1;
  p.kv_block_size = 16;
  return p;
}

static int32_t rd32(const uint8_t *b, int off) {
  int32_t v;
  memcpy(&v, b + off, 4);
  return v;
}

static uint64_t rd64(const uint8_t *b, int off) {
  uint64_t v;
  memcpy(&v, b + off, 8); /* little-endian host, as the GPU */
  return v;
}

static ar_workload workload(const attnroute_problem *p) {
  ar_workload w;
  memset(&w, 0, sizeof w);
  w.p = *p;
  w.seqlen_q = p->max_seqlen_q;
  w.seqlen_k = p->max_seqlen_k;
  w.cached = p->max_seqlen_k - p->max_seqlen_q;
  w.total_q = p->num_seqs * w.seqlen_q;
  w.total_k = p->num_seqs * w.seqlen_k;
  w.max_blocks_per_seq = (w.seqlen_k + p->kv_block_size - 1) / p->kv_block_size;
  w.num_blocks = p->num_seqs * w.max_blocks_per_seq;
  w.softmax_scale = 0.125f;
  w.q = 0x1000;
  w.k_new = 0x2000;
  w.v_new = 0x3000;
  w.k_cache = 0x4000;
  w.v_cache = 0x5000;
  w.block_table = 0x6000;
  w.cu_seqlens_q = 0x7000;
  w.cu_seqlens_k = 0x8000;
  w.cu_seqlens_new = w.cu_seqlens_q;
  w.seq_lens_k = 0x9000;
  w.sinks = 0xa000;
  w.out = 0xb000;
  w.lse = 0xc000;
  w.k_dense = 0xd000;
  w.v_dense = 0xe000;
  return w;
}

/* ---------------------------------------------------------------- tests */

static void table_tests(void) {
  int n = 0;
  const ar_candidate *const *all = ar_candidates_hip(&n);
  CHECK_MSG(all && n == 3, "count %d", n);
  const ar_candidate *h64 = find("aiter.fmha_sink_varlen_asm.hd64");
  const ar_candidate *h128 = find("aiter.fmha_sink_varlen_asm.hd128");
  const ar_candidate *pa = find("aiter.pa_decode_bf16_asm");
  CHECK_MSG(h64 && h128 && pa, "missing candidates");
  if (!h64 || !h128 || !pa) return;
  CHECK_MSG(strcmp(h64->family, "aiter_fmha_sink_varlen") == 0, "family %s", h64->family);
  CHECK_MSG(strcmp(h128->family, "aiter_fmha_sink_varlen") == 0, "family %s", h128->family);
  CHECK_MSG(h64->legacy_route == ATTNROUTE_ROUTE_DENSE_SINK_ASM, "route %d", h64->legacy_route);
  /* aiter runs the D 128 object for D 128 without sinks (unified attention
  ** off): it stands in for the same legacy route (docs/LEGACY_GATES.md). */
  CHECK_MSG(h128->legacy_route == ATTNROUTE_ROUTE_DENSE_SINK_ASM, "route %d", h128->legacy_route);
  CHECK_MSG(pa->legacy_route == ATTNROUTE_ROUTE_ASM_PAGED_DECODE, "route %d", pa->legacy_route);
  CHECK_MSG(strcmp(h64->modules[0], AR_HIP_MOD_GATHER) == 0 &&
            strcmp(h64->kernels[0], "0:ar_gather_tok") == 0,
        "gather %s %s", h64->modules[0], h64->kernels[0]);

  /* Capability limits, through the runtime's own check. */
  attnroute_problem p = gptoss();
  CHECK_MSG(attnroute_caps_allow(&h64->caps, &p), "hd64 refuses gpt-oss");
  CHECK_MSG(!attnroute_caps_allow(&h128->caps, &p), "hd128 takes D 64");
  p.has_sinks = 0;
  CHECK_MSG(!attnroute_caps_allow(&h64->caps, &p), "hd64 takes no sinks (it always reads them)");
  p = gptoss();
  p.sliding_window = 128;
  CHECK_MSG(!attnroute_caps_allow(&h64->caps, &p), "hd64 takes a window");
  p = gptoss();
  p.causal = 0;
  CHECK_MSG(!attnroute_caps_allow(&h64->caps, &p), "hd64 takes non-causal");
  p = gptoss();
  p.kv_dtype = ATTNROUTE_DTYPE_FP8_E4M3;
  CHECK_MSG(!attnroute_caps_allow(&h64->caps, &p), "hd64 takes fp8 kv");
  p = gptoss();
  p.num_q_heads = 40; /* GQA 5: any ratio */
  CHECK_MSG(attnroute_caps_allow(&h64->caps, &p), "hd64 refuses GQA 5");
  p = gptoss();
  p.head_dim = 128;
  p.has_sinks = 0;
  CHECK_MSG(attnroute_caps_allow(&h128->caps, &p), "hd128 refuses llama-like D 128");
  p.has_sinks = 1;
  CHECK_MSG(!attnroute_caps_allow(&h128->caps, &p), "hd128 takes sinks (it never reads them)");

  /* pa_decode: fp8, D 64, page 256, GQA exactly 8, decode. */
  p = gptoss();
  p.q_dtype = p.kv_dtype = ATTNROUTE_DTYPE_FP8_E4M3;
  p.kv_block_size = 256;
  p.max_seqlen_q = 1;
  CHECK_MSG(attnroute_caps_allow(&pa->caps, &p), "pa_decode refuses its own problem");
  p.max_seqlen_q = 2; /* mtp 1: (1 + 1) x 8 <= 16 */
  CHECK_MSG(attnroute_caps_allow(&pa->caps, &p), "pa_decode refuses mtp 1");
  p.max_seqlen_q = 3;
  CHECK_MSG(!attnroute_caps_allow(&pa->caps, &p), "pa_decode takes mtp 2");
  p.max_seqlen_q = 1;
  p.num_kv_heads = 4;
  CHECK_MSG(!attnroute_caps_allow(&pa->caps, &p), "pa_decode takes GQA 16");
  p.num_kv_heads = 8;
  p.kv_block_size = 16;
  CHECK_MSG(!attnroute_caps_allow(&pa->caps, &p), "pa_decode takes page 16");

  const ar_candidate *ref = ar_reference_hip();
  CHECK_MSG(ref && strcmp(ref->modules[0], AR_HIP_MOD_REF) == 0 &&
            strcmp(ref->kernels[0], "0:ar_ref_paged") == 0 && ref->run,
        "reference");
}

static void availability_tests(const char *fixtures) {
  const ar_candidate *h64 = find("aiter.fmha_sink_varlen_asm.hd64");
  const ar_candidate *h128 = find("aiter.fmha_sink_varlen_asm.hd128");
  const ar_candidate *pa = find("aiter.pa_decode_bf16_asm");
  if (!h64 || !h128 || !pa) return;
  char why[1024], hsa[512];
  snprintf(hsa, sizeof hsa, "%s/hsa", fixtures);

  /* Nothing given. */
  unsetenv("AITER_ASM_DIR");
  ar_hip_set_aiter_dir(NULL);
  CHECK_MSG(!ar_hip_candidate_available(h64, why, sizeof why), "available without a folder");
  CHECK_MSG(strstr(why, "aiter.fmha_sink_varlen_asm.hd64") && strstr(why, "--aiter-hsa") &&
            strstr(why, "AITER_ASM_DIR"),
        "why: %s", why);
  CHECK_MSG(h64->modules[1] == NULL && h64->kernels[1] == NULL, "unresolved modules set");

  /* --aiter-hsa: hd64 found, hd128's causal object missing. */
  ar_hip_set_aiter_dir(hsa);
  CHECK_MSG(ar_hip_candidate_available(h64, why, sizeof why), "hd64: %s", why);
  CHECK_MSG(why[0] == '\0', "why set when available: %s", why);
  CHECK_MSG(h64->modules[1] && strstr(h64->modules[1], "/hsa/gfx1250/fmha_fwd_bf16_varlen/"
                                                   "fmha_bf16_pertokenBf16_hd64_128x256_mask_varlen.co"),
        "module %s", h64->modules[1] ? h64->modules[1] : "(null)");
  CHECK_MSG(h64->kernels[1] &&
            strcmp(h64->kernels[1], "1:_ZN5aiter47fmha_bf16_pertokenBf16_hd64_128x256_mask_varlenE") == 0,
        "kernel %s", h64->kernels[1] ? h64->kernels[1] : "(null)");
  /* an object aiter did not ship: aiter's current launch */
  CHECK_MSG(strcmp(h64->params, "head_dim=64,gather=tok,opt=7,grid=halved,tile_q=128") == 0,
        "params %s", h64->params);
  CHECK_MSG(!ar_hip_candidate_available(h128, why, sizeof why), "hd128 available");
  CHECK_MSG(strstr(why, "hd128_128x256_mask_varlen.co") && strstr(why, "not found"), "why: %s", why);
  CHECK_MSG(h128->modules[1] == NULL, "hd128 module set");

  /* Another arch: no objects. */
  ar_hip_set_aiter_arch("gfx942");
  CHECK_MSG(!ar_hip_candidate_available(h64, why, sizeof why), "gfx942 available");
  CHECK_MSG(strstr(why, "gfx942"), "why: %s", why);
  ar_hip_set_aiter_arch(NULL);

  /* The device's arch picks the folder (what the worker and the planner do
  ** once the device is open), target features cut: gcnArchName's form. */
  char a[32];
  ar_aiter_arch_of("gfx942:sramecc+:xnack-", a, sizeof a);
  CHECK_MSG(strcmp(a, "gfx942") == 0, "arch of gfx942:sramecc+:xnack-: %s", a);
  ar_aiter_arch_of("gfx1250", a, sizeof a);
  CHECK_MSG(strcmp(a, "gfx1250") == 0, "arch of gfx1250: %s", a);
  ar_aiter_arch_of(NULL, a, sizeof a);
  CHECK_MSG(a[0] == '\0', "arch of NULL: %s", a);
  ar_device_info dev;
  memset(&dev, 0, sizeof dev);
  snprintf(dev.arch, sizeof dev.arch, "gfx90a");
  ar_candidates_for_device("hip", &dev);
  CHECK_MSG(!ar_hip_candidate_available(h64, why, sizeof why), "gfx90a device: available");
  CHECK_MSG(strstr(why, "gfx90a"), "gfx90a device: why: %s", why);
  CHECK_MSG(h64->modules[1] == NULL, "gfx90a device: module set");
  snprintf(dev.arch, sizeof dev.arch, "gfx1250:xnack-");
  ar_candidates_for_device("hip", &dev);
  CHECK_MSG(ar_hip_candidate_available(h64, why, sizeof why), "gfx1250 device: %s", why);
  CHECK_MSG(h64->modules[1] && strstr(h64->modules[1], "/hsa/gfx1250/"), "gfx1250 device: module %s",
        h64->modules[1] ? h64->modules[1] : "(null)");
  ar_hip_set_aiter_arch(NULL);

  /* $AITER_ASM_DIR when no --aiter-hsa. */
  ar_hip_set_aiter_dir("");
  setenv("AITER_ASM_DIR", hsa, 1);
  ar_hip_set_aiter_dir(NULL);
  CHECK_MSG(ar_hip_candidate_available(h64, why, sizeof why), "env: %s", why);
  unsetenv("AITER_ASM_DIR");

  /* pa_decode: never. */
  CHECK_MSG(!ar_hip_candidate_available(pa, why, sizeof why), "pa_decode available");
  CHECK_MSG(strstr(why, "get_pa_metadata_v1") && strstr(why, "device"), "why: %s", why);
  CHECK_MSG(pa->modules[0] == NULL, "pa_decode has modules");

  /* Other candidates (the reference) are left to the kernel path. */
  CHECK_MSG(ar_hip_candidate_available(ar_reference_hip(), why, sizeof why), "reference");
  ar_hip_set_aiter_dir(hsa);
}

/* An aiter tree under dir whose hd64 causal object declares kernarg bytes. */
static void make_tree(const char *dir, int64_t kernarg) {
  char path[1024];
  unsigned char obj[16384];
  const char *parts[] = {"", "/hsa", "/hsa/gfx1250", "/hsa/gfx1250/fmha_fwd_bf16_varlen"};
  for (int i = 0; i < 4; i++) {
    snprintf(path, sizeof path, "%s%s", dir, parts[i]);
    mkdir(path, 0755);
  }
  snprintf(path, sizeof path, "%s/hsa/gfx1250/fmha_fwd_bf16_varlen/fmha_fwd_bf16_varlen.csv", dir);
  FILE *f = fopen(path, "w");
  CHECK_MSG(f != NULL, "cannot write %s", path);
  if (!f) return;
  fprintf(f, "dtype,hdim_q,hdim_v,mask,knl_name,co_name\n"
             "bf16,64,64,1,_ZN5aiter47fmha_bf16_pertokenBf16_hd64_128x256_mask_varlenE,"
             "fmha_bf16_pertokenBf16_hd64_128x256_mask_varlen.co\n");
  fclose(f);
  nf_kernel k = {"_ZN5aiter47fmha_bf16_pertokenBf16_hd64_128x256_mask_varlenE", kernarg, 327680,
                 kernarg == 132 ? nf_sink_varlen_132 : nf_sink_varlen_88, kernarg == 132 ? 27 : 14};
  size_t n = nf_object(&k, obj, sizeof obj);
  snprintf(path, sizeof path,
           "%s/hsa/gfx1250/fmha_fwd_bf16_varlen/fmha_bf16_pertokenBf16_hd64_128x256_mask_varlen.co",
           dir);
  CHECK_MSG(n > 0 && nf_write(path, obj, n) == 0, "cannot write %s", path);
}

static void abi_tests(const char *scratch, const char *fixtures) {
  const ar_candidate *h64 = find("aiter.fmha_sink_varlen_asm.hd64");
  if (!h64) return;
  char why[1024], hsa[512];
  /* 132 bytes (aiter e6c7333e's objects): unavailable, naming file and size */
  make_tree(scratch, 132);
  snprintf(hsa, sizeof hsa, "%s/hsa", scratch);
  ar_hip_set_aiter_dir(hsa);
  CHECK_MSG(!ar_hip_candidate_available(h64, why, sizeof why), "132-byte object available");
  CHECK_MSG(strstr(why, "aiter.fmha_sink_varlen_asm.hd64") &&
            strstr(why, "fmha_bf16_pertokenBf16_hd64_128x256_mask_varlen.co") &&
            strstr(why, "kernarg_segment_size 132"),
        "why: %s", why);
  CHECK_MSG(h64->modules[1] == NULL && h64->kernels[1] == NULL, "refused object still wired");
  /* 88 bytes with AR_AITER_SV_OPT=4: the opt 4, full-grid launch */
  make_tree(scratch, 88);
  setenv("AR_AITER_SV_OPT", "4", 1);
  ar_hip_set_aiter_dir(hsa);
  CHECK_MSG(ar_hip_candidate_available(h64, why, sizeof why), "88-byte object: %s", why);
  CHECK_MSG(strcmp(h64->params, "head_dim=64,gather=tok,opt=4,grid=full,tile_q=128") == 0,
        "params %s", h64->params);
  attnroute_problem p = gptoss();
  ar_workload w = workload(&p);
  ar_loaded k;
  memset(&k, 0, sizeof k);
  k.fn[0] = (void *)0x111;
  k.fn[1] = (void *)0x222;
  nrecs = 0;
  CHECK_MSG(h64->run(h64, &fake, &k, &w) == 0 && nrecs == 2, "opt 4 run: %d launches", nrecs);
  if (nrecs == 2)
    CHECK_MSG(rd32(recs[1].args, 0x44) == 4 && recs[1].grid[1] == 3, "opt %d grid.y %u",
          rd32(recs[1].args, 0x44), recs[1].grid[1]);
  /* a bad override: unavailable, saying what to set */
  setenv("AR_AITER_SV_OPT", "6", 1);
  ar_hip_set_aiter_dir(hsa);
  CHECK_MSG(!ar_hip_candidate_available(h64, why, sizeof why) && strstr(why, "AR_AITER_SV_OPT=6"),
        "override 6: %s", why);
  unsetenv("AR_AITER_SV_OPT");
  /* back to the fixture tree */
  snprintf(hsa, sizeof hsa, "%s/hsa", fixtures);
  ar_hip_set_aiter_dir(hsa);
}

static void run_tests(void) {
  const ar_candidate *h64 = find("aiter.fmha_sink_varlen_asm.hd64");
  const ar_candidate *h128 = find("aiter.fmha_sink_varlen_asm.hd128");
  const ar_candidate *pa = find("aiter.pa_decode_bf16_asm");
  if (!h64 || !h128 || !pa) return;
  char why[512];
  CHECK_MSG(ar_hip_candidate_available(h64, why, sizeof why), "hd64: %s", why);
  ar_loaded k;
  memset(&k, 0, sizeof k);
  k.fn[0] = (void *)0x111;
  k.fn[1] = (void *)0x222;

  /* Cached prefix: gather, then aiter on the gathered K/V. */
  attnroute_problem p = gptoss();
  ar_workload w = workload(&p);
  nrecs = 0;
  CHECK_MSG(h64->run(h64, &fake, &k, &w) == 0, "run failed");
  CHECK_MSG(nrecs == 2, "launches %d", nrecs);
  if (nrecs == 2) {
    ar_gather_args g;
    memcpy(&g, recs[0].args, sizeof g);
    CHECK_MSG(recs[0].fn == k.fn[0] && recs[0].size == sizeof g, "gather launch");
    CHECK_MSG(g.k_cache == w.k_cache && g.v_cache == w.v_cache && g.k_out == w.k_dense &&
              g.v_out == w.v_dense && g.block_table == w.block_table &&
              g.cu_seqlens_k == w.cu_seqlens_k,
          "gather pointers");
    CHECK_MSG(g.num_seqs == 2 && g.num_kv_heads == 8 && g.head_dim == 64 && g.block_size == 16 &&
              g.max_blocks_per_seq == w.max_blocks_per_seq && g.total_k == w.total_k,
          "gather sizes");
    CHECK_MSG(recs[0].block[0] == 256 && recs[0].grid[0] >= 1, "gather geometry");
    const uint8_t *a = recs[1].args;
    CHECK_MSG(recs[1].fn == k.fn[1] && recs[1].size == 0x58, "aiter launch size %zu", recs[1].size);
    CHECK_MSG(rd64(a, 0x10) == w.k_dense && rd64(a, 0x18) == w.v_dense &&
              rd64(a, 0x30) == w.cu_seqlens_k && rd64(a, 0x28) == w.cu_seqlens_q &&
              rd64(a, 0x50) == w.sinks,
          "aiter pointers");
    /* opt 7 (the fixture object is not one aiter shipped: its current
    ** launch), LSE asked for as aiter's _flash_attn_varlen_forward does */
    CHECK_MSG(rd32(a, 0x44) == 7 && rd32(a, 0x48) == 1, "opt %d lse %d", rd32(a, 0x44),
          rd32(a, 0x48));
    CHECK_MSG(recs[1].grid[0] == 64 && recs[1].grid[1] == 2 && recs[1].grid[2] == 2 &&
              recs[1].block[0] == 128,
          "aiter grid %ux%ux%u", recs[1].grid[0], recs[1].grid[1], recs[1].grid[2]);
  }

  /* A device that cannot hold the object's 320 KiB of LDS: refused, no launch. */
  fake_lds = 65536;
  nrecs = 0;
  CHECK_MSG(h64->run(h64, &fake, &k, &w) == -1 && nrecs == 0, "ran without its LDS");
  fake_lds = 327680;

  /* No cache: one launch reading the new tokens' K/V. */
  p.max_seqlen_k = p.max_seqlen_q;
  p.has_cached = 0;
  w = workload(&p);
  nrecs = 0;
  CHECK_MSG(h64->run(h64, &fake, &k, &w) == 0 && nrecs == 1, "uncached launches %d", nrecs);
  if (nrecs == 1)
    CHECK_MSG(rd64(recs[0].args, 0x10) == w.k_new && rd64(recs[0].args, 0x18) == w.v_new &&
              rd64(recs[0].args, 0x30) == w.cu_seqlens_new,
          "uncached pointers");

  /* Wrong head dim for the object, unavailable object, pa_decode. */
  p.head_dim = 128;
  w = workload(&p);
  nrecs = 0;
  fake_msg[0] = '\0';
  CHECK_MSG(h64->run(h64, &fake, &k, &w) == -1 && nrecs == 0, "hd64 ran D 128");
  CHECK_MSG(strstr(fake_msg, "head_dim 128") != NULL, "hd64 on D 128 says '%s'", fake_msg);
  fake_msg[0] = '\0';
  CHECK_MSG(h128->run(h128, &fake, &k, &w) == -1 && nrecs == 0, "unavailable hd128 ran");
  CHECK_MSG(strstr(fake_msg, "not available") != NULL, "unavailable hd128 says '%s'", fake_msg);
  fake_msg[0] = '\0';
  CHECK_MSG(pa->run(pa, &fake, &k, &w) == -1 && nrecs == 0, "pa_decode ran");
  CHECK_MSG(fake_msg[0] != '\0', "pa_decode says nothing");
  CHECK_MSG(ar_backend_fail(&fake, "x %d", 1) == -1 && strcmp(fake_msg, "x 1") == 0, "ar_backend_fail");
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: test_hip_candidates FIXTURES_DIR SCRATCH_DIR\n");
    return 2;
  }
  table_tests();
  availability_tests(argv[1]);
  abi_tests(argv[2], argv[1]);
  run_tests();
  if (check_failures) {
    fprintf(stderr, "test_hip_candidates: %ld failure(s)\n", check_failures);
    return 1;
  }
  printf("test_hip_candidates: ok\n");
  return 0;
}
