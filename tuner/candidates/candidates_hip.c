/*
** candidates_hip.c -- every candidate the HIP backend offers, from one table
** (hip_candidates.h), and the run functions of the aiter families.
**
** aiter_fmha_sink_varlen: when the problem has a cached prefix, the
** project's gather (attn_gather.hip.co, ar_gather_tok) copies the paged
** cache into dense K/V first, and its time counts; then aiter's
** fmha_fwd_with_sink_varlen_asm runs over packed Q/K/V.  resolve() reads
** the code object's metadata note (amdgpu_note.h) and picks the launch from
** the object (aiter_abi.h): 88 bytes with opt 7 and the halved grid, or with
** opt 4 and the full grid; anything else makes the candidate unavailable
** with a message naming the file and the size.  The run function checks the
** object's LDS against the device first, as aiter's loader does.  With
** nothing cached it reads the new tokens' K/V directly.  kernels[0] =
** gather, kernels[1] = aiter kernel.
**
** aiter.pa_decode_bf16_asm: its 0xB0-byte buffer is packed and tested
** (aiter_pack.h) and the note its object must carry is known
** (ar_aiter_pd_abi_check, aiter_abi.h), but it stays unavailable.  Its launch needs aiter's work split: work_indptr /
** work_info from get_pa_metadata_v1, whose host entry (csrc/kernels/mla/
** metadata.cu, aiter e4048607) only checks its inputs and launches the
** device kernel kn_get_pa_metadata_v1_2 (csrc/kernels/mla/metadata/
** v1_2_pa_device.cuh, one workgroup of one wave, last changed 1e8c33fd,
** 2026-08-14) that builds the split in LDS; the kernel's grid must equal
** that split's length (asm_pa_decode_bf16.cu).  The rule lives in device
** code this project does not reimplement; and the kernel wants fp8 Q and an
** fp8 cache in aiter's tiled page layout, which the workloads do not hold.
**
** The aiter entries' modules[] / kernels[] are filled from aiter's manifests
** when the hsa folder is known (resolve()); until then, or when a code
** object is missing, they are unavailable with a message and their modules
** stay NULL, so nothing tries to load them.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aiter_abi.h"
#include "aiter_manifest.h"
#include "aiter_pack.h"
#include "attn_variants.h"
#include "families.h"
#include "hip_candidates.h"

#define BIT(d) (1u << ((d) / 16 - 1)) /* head_dim_mask bit of D */
#define BF16 (1u << ATTNROUTE_DTYPE_BF16)
#define FP8 (1u << ATTNROUTE_DTYPE_FP8_E4M3)

/* --------------------------------------------------------------- aiter state */

/* What resolve() found for one aiter sink-varlen candidate. */
typedef struct aiter_slot {
  int head_dim;
  int ok;                           /* code object found */
  char why[768];                    /* when !ok */
  char symbol[AR_AITER_SYMBOL_MAX + 4]; /* "1:<knl_name>" */
  char co_path[AR_AITER_PATH_MAX];
  int abi;                          /* ar_aiter_sv_abi (aiter_abi.h) */
  char params[96];                  /* the candidate's params for that launch */
  ar_amdgpu_kernel_meta meta;       /* what the object's note says */
} aiter_slot;

static struct {
  int resolved;
  char dir[AR_AITER_PATH_MAX]; /* explicit --aiter-hsa; "" = $AITER_ASM_DIR */
  char arch[32];               /* "" = gfx1250 */
  aiter_slot slot[2];          /* hd64, hd128 */
} aiter = {0, "", "", {{.head_dim = 64}, {.head_dim = 128}}};

static int aiter_sink_run(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
                          const ar_workload *w);
static int aiter_pa_decode_run(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
                               const ar_workload *w);

/* Mutable: resolve() points modules[1] / kernels[1] at the slot's strings. */
static ar_candidate sink_hd64 = {
    "aiter.fmha_sink_varlen_asm.hd64", "aiter_fmha_sink_varlen",
    "head_dim=64,gather=tok,opt=7,grid=halved,tile_q=128", ATTNROUTE_ROUTE_DENSE_SINK_ASM,
    {.head_dim_mask = BIT(64), .q_dtype_mask = BF16, .kv_dtype_mask = BF16,
     .block_size_mask = 0, .sinks = ATTNROUTE_CAP_REQUIRED, .window = ATTNROUTE_CAP_FORBIDDEN,
     .causal = ATTNROUTE_CAP_REQUIRED, .max_seqlen_q = 0, .gqa_exact = 0},
    {AR_HIP_MOD_GATHER, NULL}, {"0:ar_gather_tok", NULL}, aiter_sink_run, &aiter.slot[0]};

static ar_candidate sink_hd128 = {
    "aiter.fmha_sink_varlen_asm.hd128", "aiter_fmha_sink_varlen",
    "head_dim=128,gather=tok,opt=7,grid=halved,tile_q=128", ATTNROUTE_ROUTE_DENSE_SINK_ASM,
    {.head_dim_mask = BIT(128), .q_dtype_mask = BF16, .kv_dtype_mask = BF16,
     .block_size_mask = 0, .sinks = ATTNROUTE_CAP_FORBIDDEN, .window = ATTNROUTE_CAP_FORBIDDEN,
     .causal = ATTNROUTE_CAP_REQUIRED, .max_seqlen_q = 0, .gqa_exact = 0},
    {AR_HIP_MOD_GATHER, NULL}, {"0:ar_gather_tok", NULL}, aiter_sink_run, &aiter.slot[1]};

/* gfx1250 paged decode with sinks: fp8 q and KV, bf16 out, D 64, page 256,
** GQA 8, mtp <= 1 (asm_pa_decode_bf16.cu).  Unavailable: see the head of
** the file. */
static const ar_candidate pa_decode = {
    "aiter.pa_decode_bf16_asm", "aiter_pa_decode", "head_dim=64,page=256,gqa=8",
    ATTNROUTE_ROUTE_ASM_PAGED_DECODE,
    {.head_dim_mask = BIT(64), .q_dtype_mask = FP8, .kv_dtype_mask = FP8,
     .block_size_mask = 1u << 8, .sinks = ATTNROUTE_CAP_REQUIRED,
     .window = ATTNROUTE_CAP_FORBIDDEN, .causal = ATTNROUTE_CAP_REQUIRED, .max_seqlen_q = 2,
     .gqa_exact = 8},
    {NULL}, {NULL}, aiter_pa_decode_run, NULL};

#define PA_DECODE_WHY                                                                      \
  "aiter.pa_decode_bf16_asm: its work metadata (aiter get_pa_metadata_v1) is built on the " \
  "device by a partitioning not reimplemented here, and the workloads hold no fp8 cache in " \
  "aiter's tiled layout; not run"

static const ar_candidate *const hip_candidates[] = {&sink_hd64, &sink_hd128, &pa_decode};

/* (Re)find the sink-varlen code objects for the current dir and arch. */
static void resolve(void) {
  if (aiter.resolved) return;
  aiter.resolved = 1;
  const char *dir = aiter.dir[0] ? aiter.dir : getenv("AITER_ASM_DIR");
  const char *arch = aiter.arch[0] ? aiter.arch : "gfx1250";
  ar_candidate *cand[2] = {&sink_hd64, &sink_hd128};
  for (int i = 0; i < 2; i++) {
    aiter_slot *s = &aiter.slot[i];
    ar_aiter_kernel kern;
    char why[700];
    cand[i]->modules[1] = NULL;
    cand[i]->kernels[1] = NULL;
    s->ok = ar_aiter_find_sink_varlen(dir, arch, s->head_dim, &kern, why, sizeof why) == 0;
    s->abi = AR_AITER_SV_ABI_NONE;
    char sha[65], how[320]; /* how: why that launch (the params say which) */
    if (s->ok &&
        ar_amdgpu_note_read(kern.co_path, kern.symbol, &s->meta, sha, why, sizeof why) != 0)
      s->ok = 0;
    if (s->ok) {
      s->abi = ar_aiter_sv_abi_select(&s->meta, kern.co_path, sha, getenv(AR_AITER_SV_OPT_ENV),
                                      how, sizeof how, why, sizeof why);
      s->ok = s->abi != AR_AITER_SV_ABI_NONE;
    }
    snprintf(s->params, sizeof s->params, "head_dim=%d,gather=tok,%s,tile_q=128", s->head_dim,
             s->abi == AR_AITER_SV_ABI_OPT4_FULL ? "opt=4,grid=full" : "opt=7,grid=halved");
    cand[i]->params = s->params;
    if (!s->ok) {
      snprintf(s->why, sizeof s->why, "%s: %s", cand[i]->name, why);
      s->symbol[0] = s->co_path[0] = '\0';
      continue;
    }
    s->why[0] = '\0';
    snprintf(s->symbol, sizeof s->symbol, "1:%s", kern.symbol);
    snprintf(s->co_path, sizeof s->co_path, "%s", kern.co_path);
    cand[i]->modules[1] = s->co_path;
    cand[i]->kernels[1] = s->symbol;
  }
}

void ar_hip_set_aiter_dir(const char *dir) {
  snprintf(aiter.dir, sizeof aiter.dir, "%s", dir ? dir : "");
  aiter.resolved = 0;
}

void ar_hip_set_aiter_arch(const char *arch) {
  char a[sizeof aiter.arch];
  ar_aiter_arch_of(arch, a, sizeof a);
  if (strcmp(a, aiter.arch) == 0) return;
  snprintf(aiter.arch, sizeof aiter.arch, "%s", a);
  aiter.resolved = 0;
}

void ar_aiter_arch_of(const char *device_arch, char *out, size_t outlen) {
  if (!outlen) return;
  size_t n = device_arch ? strcspn(device_arch, ":") : 0;
  if (n >= outlen) n = outlen - 1;
  memcpy(out, device_arch ? device_arch : "", n);
  out[n] = '\0';
}

const ar_candidate *const *ar_candidates_hip(int *count) {
  resolve();
  *count = (int)(sizeof hip_candidates / sizeof hip_candidates[0]);
  return hip_candidates;
}

int ar_hip_candidate_available(const ar_candidate *c, char *why, size_t whylen) {
  if (whylen) why[0] = '\0';
  if (c == &pa_decode) {
    snprintf(why, whylen, "%s", PA_DECODE_WHY);
    return 0;
  }
  if (c == &sink_hd64 || c == &sink_hd128) {
    resolve();
    const aiter_slot *s = c->variant;
    if (!s->ok) snprintf(why, whylen, "%s", s->why);
    return s->ok;
  }
  return 1;
}

/* ---------------------------------------------------------------- run */

static int aiter_sink_run(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
                          const ar_workload *w) {
  const aiter_slot *s = c->variant;
  if (!s->ok || !k->fn[1])
    return ar_backend_fail(b, "%s: not available: %s", c->name, s->why[0] ? s->why : "not loaded");
  if (w->p.head_dim != s->head_dim)
    return ar_backend_fail(b, "%s: head_dim %d, this object is for %d", c->name, w->p.head_dim,
                       s->head_dim);
  {
    ar_device_info info;
    char why[AR_AITER_PATH_MAX + 128];
    memset(&info, 0, sizeof info);
    if (b->ops->device_info && b->ops->device_info(b, &info) == 0 &&
        ar_aiter_lds_check(&s->meta, s->co_path, info.lds_per_block, why, sizeof why) != 0)
      return ar_backend_fail(b, "%s: %s", c->name, why);
  }
  ar_buf kk = w->k_new, vv = w->v_new, cu_k = w->cu_seqlens_new;
  if (w->p.has_cached) {
    if (ar_family_gather_run(b, k->fn[0], ar_kv_gather_tok.dims, w) != 0) return -1;
    kk = w->k_dense;
    vv = w->v_dense;
    cu_k = w->cu_seqlens_k;
  }
  uint8_t args[AR_AITER_SINK_VARLEN_ARGS_SIZE];
  ar_launch_dims d;
  if (ar_aiter_pack_sink_varlen(w, kk, vv, cu_k, s->abi, args, &d) != 0)
    return ar_backend_fail(b, "%s: cannot pack arguments for this problem", c->name);
  return b->ops->launch(b, k->fn[1], d.grid, d.block, d.shared_bytes, args, sizeof args);
}

static int aiter_pa_decode_run(const ar_candidate *c, ar_backend *b, const ar_loaded *k,
                               const ar_workload *w) {
  (void)c;
  (void)k;
  (void)w;
  return ar_backend_fail(b, "%s", PA_DECODE_WHY);
}

/* ---------------------------------------------------------- reference */

static const ar_paged_variant ref_variant = {ar_dims_ref_paged, NULL};

static const ar_candidate reference = {
    "reference.paged.hip", "reference", "fp32", -1,
    {.head_dim_mask = 0xffffu, .q_dtype_mask = BF16, .kv_dtype_mask = BF16,
     .block_size_mask = 0, .sinks = ATTNROUTE_CAP_OPTIONAL, .window = ATTNROUTE_CAP_OPTIONAL,
     .causal = ATTNROUTE_CAP_OPTIONAL, .max_seqlen_q = 0, .gqa_exact = 0},
    {AR_HIP_MOD_REF}, {"0:ar_ref_paged"}, ar_family_paged_run, &ref_variant};

const ar_candidate *ar_reference_hip(void) { return &reference; }
