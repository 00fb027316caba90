/*
** test_aiter_abi.c -- the code-object metadata reader (tuner/candidates/amdgpu_note.h)
** and the aiter ABI rules (tuner/candidates/aiter_abi.h) on fixture objects built by
** note_fixture.c: every accepted sink-varlen launch (opt 7 halved, opt 4
** full: by content, by override), every refusal (132 bytes, other sizes, no
** size, a different argument list, a bad override), the pa_decode note, the
** LDS check; hostile objects (every truncation, bad headers, bad
** MessagePack, lying counts, deep nesting, wrong types) give an error that
** names the input and never crash; a deterministic fuzz of the reader; and
** the checked-in fixture tree (argv[1]) equals what the builder writes.
**
**     test_hip_aiter_abi FIXTURES_DIR             run everything
**     test_hip_aiter_abi --write-fixtures DIR     (re)write the fixture .co files
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aiter_abi.h"
#include "aiter_pack.h"
#include "amdgpu_note.h"
#include "note_fixture.h"

#include "../check.h"

#define SV64 "_ZN5aiter42fmha_bf16_pertokenBf16_hd64_128x256_varlenE"
#define SV64M "_ZN5aiter47fmha_bf16_pertokenBf16_hd64_128x256_mask_varlenE"
#define SV128 "_ZN5aiter43fmha_bf16_pertokenBf16_hd128_128x256_varlenE"
#define PD "_ZN5aiter36pa_decode_bf16_d64_page256_gqa8_tq16E"

static unsigned char obj[16384];

static nf_kernel sv(const char *name, int64_t kernarg) {
  nf_kernel k = {name, kernarg, 327680, nf_sink_varlen_88, 14};
  if (kernarg == 132) k.args = nf_sink_varlen_132, k.nargs = 27;
  return k;
}

/* Parse an object built from k; returns the parse status. */
static int parse_k(const nf_kernel *k, const char *want, ar_amdgpu_kernel_meta *m, char *err,
                   size_t errlen) {
  size_t n = nf_object(k, obj, sizeof obj);
  CHECK_MSG(n > 0, "fixture did not fit");
  return ar_amdgpu_note_parse(obj, n, "fix.co", want, m, err, errlen);
}

static int contains(const char *s, const char *part) { return strstr(s, part) != NULL; }

static unsigned char *find_bytes(unsigned char *hay, size_t n, const char *needle, size_t nl) {
  for (size_t i = 0; i + nl <= n; i++)
    if (memcmp(hay + i, needle, nl) == 0) return hay + i;
  return NULL;
}

/* ------------------------------------------------------------ reader */

static void reader_tests(void) {
  ar_amdgpu_kernel_meta m;
  char err[512];
  nf_kernel k = sv(SV64M, 88);
  CHECK_MSG(parse_k(&k, SV64M, &m, err, sizeof err) == 0, "parse: %s", err);
  CHECK_MSG(strcmp(m.name, SV64M) == 0, "name %s", m.name);
  CHECK_MSG(strcmp(m.symbol, SV64M ".kd") == 0, "symbol %s", m.symbol);
  CHECK_MSG(strcmp(m.target, "amdgcn-amd-amdhsa--gfx1250") == 0, "target %s", m.target);
  CHECK_MSG(m.kernarg_segment_size == 88, "kernarg %lld", (long long)m.kernarg_segment_size);
  CHECK_MSG(m.group_segment_fixed_size == 327680, "lds %lld", (long long)m.group_segment_fixed_size);
  CHECK_MSG(m.wavefront_size == 32 && m.max_flat_workgroup_size == 1024 &&
            m.private_segment_fixed_size == 0 && m.kernarg_segment_align == 8,
        "numbers %lld %lld %lld %lld", (long long)m.wavefront_size,
        (long long)m.max_flat_workgroup_size, (long long)m.private_segment_fixed_size,
        (long long)m.kernarg_segment_align);
  CHECK_MSG(m.nargs == 14 && m.args_total == 14, "args %d/%d", m.nargs, m.args_total);
  for (int i = 0; i < 14 && i < m.nargs; i++)
    CHECK_MSG(m.args[i].offset == nf_sink_varlen_88[i].offset &&
              m.args[i].size == nf_sink_varlen_88[i].size &&
              strcmp(m.args[i].value_kind, nf_sink_varlen_88[i].kind) == 0,
          "arg %d: %lld %lld %s", i, (long long)m.args[i].offset, (long long)m.args[i].size,
          m.args[i].value_kind);
  CHECK_MSG(strcmp(m.args[7].value_type, "f32") == 0, "arg 7 type %s", m.args[7].value_type);
  /* by symbol, with and without .kd; NULL = the only kernel */
  CHECK_MSG(parse_k(&k, SV64M ".kd", &m, err, sizeof err) == 0, "by symbol: %s", err);
  CHECK_MSG(parse_k(&k, NULL, &m, err, sizeof err) == 0 && strcmp(m.name, SV64M) == 0,
        "only kernel: %s", err);
  /* a kernel not in the object */
  CHECK_MSG(parse_k(&k, SV128, &m, err, sizeof err) == -1, "other kernel accepted");
  CHECK_MSG(contains(err, "fix.co: ") && contains(err, SV128), "err: %s", err);
  CHECK_MSG(m.kernarg_segment_size == 0 && m.name[0] == '\0', "meta not zeroed on failure");
  /* fields left out read -1 */
  nf_kernel bare = {SV64, -1, -1, NULL, 0};
  CHECK_MSG(parse_k(&bare, SV64, &m, err, sizeof err) == 0, "bare: %s", err);
  CHECK_MSG(m.kernarg_segment_size == -1 && m.group_segment_fixed_size == -1 && m.args_total == 0,
        "bare fields %lld %lld %d", (long long)m.kernarg_segment_size,
        (long long)m.group_segment_fixed_size, m.args_total);
  /* two kernels: found by name; NULL is ambiguous */
  nf_kernel two[2] = {sv(SV64, 88), {PD, 176, 327680, nf_pa_decode_176, 22}};
  unsigned char md[8192];
  size_t mdn = nf_metadata(two, 2, "amdgcn-amd-amdhsa--gfx1250", md, sizeof md);
  size_t n = nf_elf(md, mdn, 0xE0, obj, sizeof obj);
  CHECK_MSG(ar_amdgpu_note_parse(obj, n, "two.co", PD, &m, err, sizeof err) == 0 &&
            m.kernarg_segment_size == 176 && m.nargs == 22,
        "second kernel: %s", err);
  CHECK_MSG(ar_amdgpu_note_parse(obj, n, "two.co", NULL, &m, err, sizeof err) == -1 &&
            contains(err, "two.co: ") && contains(err, "2 kernels"),
        "ambiguous: %s", err);
}

/* ---------------------------------------------------------- ABI rules */

static const char *OPT4_SHA = "e464e5836549c84afe4dd9b8a39e88abcbb6909c8c345e3aba62a3a5b746ee1d";
static const char *BOTH_SHA = "bedaf7325ca60fb291d5c1d932f21bc8fdf06a566407cab0af02c8a944401991";
static const char *HEAD_SHA = "e953d021c4185ae3599092ac80fdf95b7be08eb1416b79905d6c31348697a0f4";

static int select_k(const nf_kernel *k, const char *sha, const char *override, char *how,
                    char *why) {
  ar_amdgpu_kernel_meta m;
  char err[512];
  CHECK_MSG(parse_k(k, k->name, &m, err, sizeof err) == 0, "parse: %s", err);
  return ar_aiter_sv_abi_select(&m, "hsa/x.co", sha, override, how, 320, why, 512);
}

static void abi_tests(void) {
  char how[320], why[512];
  nf_kernel k = sv(SV64, 88);
  /* accepted: unknown content -> aiter's current launch */
  CHECK_MSG(select_k(&k, "00", NULL, how, why) == AR_AITER_SV_ABI_OPT7_HALVED, "unknown: %s", why);
  CHECK_MSG(contains(how, "opt 7") && contains(how, "cannot tell"), "how: %s", how);
  CHECK_MSG(select_k(&k, NULL, "", how, why) == AR_AITER_SV_ABI_OPT7_HALVED, "no sha: %s", why);
  /* the objects aiter ran with opt 4 only */
  CHECK_MSG(select_k(&k, OPT4_SHA, NULL, how, why) == AR_AITER_SV_ABI_OPT4_FULL, "opt4 sha: %s", how);
  CHECK_MSG(contains(how, "opt 4") && contains(how, "1ab82adc"), "how: %s", how);
  /* 8c22067a's ran both ways: aiter's later launch; dc4bdf1c's: opt 7 */
  CHECK_MSG(select_k(&k, BOTH_SHA, NULL, how, why) == AR_AITER_SV_ABI_OPT7_HALVED, "both: %s", how);
  CHECK_MSG(contains(how, "8c22067a"), "how: %s", how);
  CHECK_MSG(select_k(&k, HEAD_SHA, NULL, how, why) == AR_AITER_SV_ABI_OPT7_HALVED, "head: %s", how);
  /* override */
  CHECK_MSG(select_k(&k, HEAD_SHA, "4", how, why) == AR_AITER_SV_ABI_OPT4_FULL, "override 4");
  CHECK_MSG(contains(how, AR_AITER_SV_OPT_ENV "=4"), "how: %s", how);
  CHECK_MSG(select_k(&k, OPT4_SHA, "7", how, why) == AR_AITER_SV_ABI_OPT7_HALVED, "override 7");
  CHECK_MSG(select_k(&k, OPT4_SHA, "5", how, why) == AR_AITER_SV_ABI_NONE, "override 5 accepted");
  CHECK_MSG(contains(why, "hsa/x.co") && contains(why, AR_AITER_SV_OPT_ENV "=5"), "why: %s", why);
  /* refused: 132 bytes (e6c7333e), other sizes, no size */
  nf_kernel k132 = sv(SV64, 132);
  CHECK_MSG(select_k(&k132, NULL, NULL, how, why) == AR_AITER_SV_ABI_NONE, "132 accepted");
  CHECK_MSG(contains(why, "hsa/x.co") && contains(why, "132") && contains(why, "e6c7333e"),
        "why: %s", why);
  CHECK_MSG(select_k(&k132, NULL, "7", how, why) == AR_AITER_SV_ABI_NONE, "132 + override accepted");
  nf_kernel k96 = {SV64, 96, 327680, NULL, 0};
  CHECK_MSG(select_k(&k96, NULL, NULL, how, why) == AR_AITER_SV_ABI_NONE && contains(why, "96") &&
            contains(why, "hsa/x.co"),
        "96: %s", why);
  nf_kernel knone = {SV64, -1, 327680, nf_sink_varlen_88, 14};
  CHECK_MSG(select_k(&knone, NULL, NULL, how, why) == AR_AITER_SV_ABI_NONE &&
            contains(why, "no kernarg_segment_size"),
        "none: %s", why);
  /* 88 bytes without .args: the size decides */
  nf_kernel knoargs = {SV64, 88, 327680, NULL, 0};
  CHECK_MSG(select_k(&knoargs, NULL, NULL, how, why) == AR_AITER_SV_ABI_OPT7_HALVED, "no args: %s",
        why);
  /* 88 bytes, another argument list: one moved, one missing */
  nf_arg moved[14];
  memcpy(moved, nf_sink_varlen_88, sizeof moved);
  moved[13].offset = 84;
  nf_kernel kmoved = {SV64, 88, 327680, moved, 14};
  CHECK_MSG(select_k(&kmoved, NULL, NULL, how, why) == AR_AITER_SV_ABI_NONE &&
            contains(why, "argument 13") && contains(why, "84"),
        "moved: %s", why);
  nf_kernel kshort = {SV64, 88, 327680, nf_sink_varlen_88, 13};
  CHECK_MSG(select_k(&kshort, NULL, NULL, how, why) == AR_AITER_SV_ABI_NONE &&
            contains(why, "13 kernel arguments"),
        "short: %s", why);

  /* pa_decode_bf16_asm's note */
  ar_amdgpu_kernel_meta m;
  char err[512];
  nf_kernel pd = {PD, 176, 327680, nf_pa_decode_176, 22};
  CHECK_MSG(parse_k(&pd, PD, &m, err, sizeof err) == 0, "pd: %s", err);
  CHECK_MSG(ar_aiter_pd_abi_check(&m, "pd.co", why, sizeof why) == 0, "pd refused: %s", why);
  nf_kernel pd368 = {PD, 368, 327680, NULL, 0};
  CHECK_MSG(parse_k(&pd368, PD, &m, err, sizeof err) == 0, "pd368: %s", err);
  CHECK_MSG(ar_aiter_pd_abi_check(&m, "pd.co", why, sizeof why) == -1 && contains(why, "368") &&
            contains(why, "pd.co"),
        "pd368: %s", why);
  /* the sink-varlen list is not pa_decode's */
  nf_kernel pdwrong = {PD, 176, 327680, nf_sink_varlen_88, 14};
  CHECK_MSG(parse_k(&pdwrong, PD, &m, err, sizeof err) == 0, "pdwrong: %s", err);
  CHECK_MSG(ar_aiter_pd_abi_check(&m, "pd.co", why, sizeof why) == -1, "pd wrong args accepted");

  /* LDS */
  CHECK_MSG(parse_k(&k, SV64, &m, err, sizeof err) == 0, "parse: %s", err);
  CHECK_MSG(ar_aiter_lds_check(&m, "x.co", 327680, why, sizeof why) == 0, "fits exactly: %s", why);
  CHECK_MSG(ar_aiter_lds_check(&m, "x.co", 65536, why, sizeof why) == -1 && contains(why, "x.co") &&
            contains(why, "327680") && contains(why, "65536"),
        "lds: %s", why);
  CHECK_MSG(ar_aiter_lds_check(&m, "x.co", 0, why, sizeof why) == -1 && contains(why, "not known"),
        "lds unknown: %s", why);
  nf_kernel nolds = {SV64, 88, -1, nf_sink_varlen_88, 14};
  CHECK_MSG(parse_k(&nolds, SV64, &m, err, sizeof err) == 0, "parse: %s", err);
  CHECK_MSG(ar_aiter_lds_check(&m, "x.co", 65536, why, sizeof why) == 0, "no LDS declared: %s", why);
}

/* ----------------------------------------------------------- hostile */

static void expect_refused(const char *label, const unsigned char *d, size_t n) {
  ar_amdgpu_kernel_meta m;
  char err[512] = "unset";
  int rc = ar_amdgpu_note_parse(d, n, "bad.co", SV64, &m, err, sizeof err);
  CHECK_MSG(rc == -1, "%s: accepted", label);
  CHECK_MSG(strncmp(err, "bad.co: ", 8) == 0 && strlen(err) > 12, "%s: message '%s'", label, err);
}

/* An object whose note descriptor is md[0..n). */
static size_t with_md(const unsigned char *md, size_t n) { return nf_elf(md, n, 0xE0, obj, sizeof obj); }

static void hostile_tests(void) {
  nf_kernel k = sv(SV64, 88);
  size_t n = nf_object(&k, obj, sizeof obj);
  unsigned char good[16384];
  memcpy(good, obj, n);
  /* every truncation of a good object */
  for (size_t cut = 0; cut < n; cut++) {
    ar_amdgpu_kernel_meta m;
    char err[512] = "";
    int rc = ar_amdgpu_note_parse(good, cut, "bad.co", SV64, &m, err, sizeof err);
    CHECK_MSG(rc == -1 && strncmp(err, "bad.co: ", 8) == 0, "cut %zu: rc %d '%s'", cut, rc, err);
  }
  unsigned char b[16384];
  /* headers */
  memcpy(b, good, n); b[4] = 1; expect_refused("ELF32", b, n);
  memcpy(b, good, n); b[5] = 2; expect_refused("big-endian", b, n);
  memcpy(b, good, n); b[0x12] = 62; expect_refused("x86-64", b, n);
  memcpy(b, good, n); memcpy(b, "\x7f" "ELG", 4); expect_refused("magic", b, n);
  memcpy(b, good, n); b[0x28 + 5] = 0x7f; expect_refused("section table past the end", b, n);
  memcpy(b, good, n); b[0x3A] = 8; expect_refused("section entry size 8", b, n);
  /* the note record: namesz / descsz lie, wrong owner, wrong type */
  size_t sh1 = (size_t)good[0x28] | (size_t)good[0x29] << 8;
  sh1 += 64;
  size_t note = (size_t)good[sh1 + 0x18];
  memcpy(b, good, n); b[note] = 0xff; b[note + 1] = 0xff; expect_refused("namesz", b, n);
  memcpy(b, good, n); b[note + 4] = 0xff; b[note + 5] = 0xff; b[note + 6] = 0xff;
  expect_refused("descsz", b, n);
  memcpy(b, good, n); b[note + 12] = 'X'; expect_refused("owner", b, n);
  memcpy(b, good, n); b[note + 8] = 31; expect_refused("type", b, n);
  memcpy(b, good, n); b[sh1 + 0x18] = 0xf0; b[sh1 + 0x19] = 0xff; expect_refused("note offset", b, n);
  /* MessagePack */
  static const unsigned char not_map[] = {0x93, 1, 2, 3};
  expect_refused("array at top", obj, with_md(not_map, sizeof not_map));
  static const unsigned char c1[] = {0x81, 0xc1, 0x00};
  expect_refused("0xc1", obj, with_md(c1, sizeof c1));
  static const unsigned char intkey[] = {0x81, 0x05, 0x05};
  expect_refused("integer key", obj, with_md(intkey, sizeof intkey));
  static const unsigned char huge_map[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'a', 0x01};
  expect_refused("map32 count 2^32-1", obj, with_md(huge_map, sizeof huge_map));
  static const unsigned char huge_str[] = {0x81, 0xdb, 0x7f, 0xff, 0xff, 0xff, 'a'};
  expect_refused("str32 past the end", obj, with_md(huge_str, sizeof huge_str));
  static const unsigned char no_kernels[] = {0x81, 0xad, 'a', 'm', 'd', 'h', 's', 'a', '.',
                                             't', 'a', 'r', 'g', 'e', 't', 0xa1, 'x'};
  expect_refused("no kernels", obj, with_md(no_kernels, sizeof no_kernels));
  /* nesting bomb: {"x": [[[[...]]]]} 200 deep */
  unsigned char deep[260];
  size_t dn = 0;
  deep[dn++] = 0x81;
  deep[dn++] = 0xa1;
  deep[dn++] = 'x';
  for (int i = 0; i < 200; i++) deep[dn++] = 0x91;
  deep[dn++] = 0xc0;
  expect_refused("nesting bomb", obj, with_md(deep, dn));
  /* kernels that is a string; a kernel with kernarg size as a string */
  unsigned char md[8192];
  size_t mdn = nf_metadata(&k, 1, "amdgcn-amd-amdhsa--gfx1250", md, sizeof md);
  unsigned char *ks = find_bytes(md, mdn, "amdhsa.kernels", 14);
  CHECK_MSG(ks != NULL, "key not found");
  if (ks) {
    unsigned char m2[8192];
    memcpy(m2, md, mdn);
    m2[ks - md + 14] = 0xa1; /* array head -> 1-byte string */
    expect_refused("kernels is a string", obj, with_md(m2, mdn));
  }
  unsigned char *kz = find_bytes(md, mdn, ".kernarg_segment_size", 21);
  CHECK_MSG(kz != NULL, "kernarg key not found");
  if (kz) {
    unsigned char m2[8192];
    memcpy(m2, md, mdn);
    m2[kz - md + 21] = 0xa0 | 0x0; /* 88 -> "" then the stray byte 'X' */
    expect_refused("kernarg size as a string", obj, with_md(m2, mdn));
  }
  /* negative sizes are read as numbers (the ABI rule refuses them) */
  expect_refused("empty", (const unsigned char *)"", 0);
}

/* ----------------------------------------------------------- fuzzing */

static uint64_t rng = 20261201u;
static uint32_t rnd(void) {
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return (uint32_t)((z ^ (z >> 31)) >> 16);
}

static void fuzz(int iterations) {
  nf_kernel ks[2] = {sv(SV64, 88), {PD, 176, 327680, nf_pa_decode_176, 22}};
  unsigned char md[8192];
  size_t mdn = nf_metadata(ks, 2, "amdgcn-amd-amdhsa--gfx1250", md, sizeof md);
  size_t n = nf_elf(md, mdn, 0xE0, obj, sizeof obj);
  unsigned char b[16384];
  static const unsigned char edge[] = {0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
                                       0xc1, 0xc4, 0xc7, 0xca, 0xcb, 0xcf, 0xd3, 0xd4, 0xd9,
                                       0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff};
  long accepted = 0;
  for (int it = 0; it < iterations; it++) {
    size_t len = n;
    memcpy(b, obj, n);
    int edits = 1 + (int)(rnd() % 6);
    for (int e = 0; e < edits; e++) {
      size_t at = rnd() % len;
      switch (rnd() % 4) {
        case 0: b[at] ^= (unsigned char)(1u << (rnd() % 8)); break;
        case 1: b[at] = edge[rnd() % sizeof edge]; break;
        case 2: b[at] = (unsigned char)rnd(); break;
        default: len = at + 1; break; /* truncate */
      }
    }
    ar_amdgpu_kernel_meta m;
    char err[512] = "";
    int rc = ar_amdgpu_note_parse(b, len, "fuzz", (rnd() & 1) ? SV64 : NULL, &m, err, sizeof err);
    if (rc == 0) {
      accepted++;
      char how[320], why[512];
      (void)ar_aiter_sv_abi_select(&m, "fuzz", NULL, NULL, how, sizeof how, why, sizeof why);
      CHECK_MSG(m.nargs >= 0 && m.nargs <= AR_AMDGPU_MAX_ARGS, "iteration %d: nargs %d", it, m.nargs);
    } else {
      CHECK_MSG(rc == -1 && strncmp(err, "fuzz: ", 6) == 0, "iteration %d: rc %d '%s'", it, rc, err);
    }
  }
  CHECK_MSG(accepted > 0 && accepted < iterations, "fuzz accepted %ld of %d", accepted, iterations);
}

/* ----------------------------------------------------------- fixtures */

/* The fixture aiter tree's objects (tests/hip/fixtures/hsa/gfx1250/
** fmha_fwd_bf16_varlen, listed in its CSV; the hd128 causal one absent). */
static const struct {
  const char *file;
  nf_kernel k;
} fixture_files[] = {
    {"fmha_bf16_pertokenBf16_hd64_128x256_varlen.co", {SV64, 88, 327680, nf_sink_varlen_88, 14}},
    {"fmha_bf16_pertokenBf16_hd64_128x256_mask_varlen.co",
     {SV64M, 88, 327680, nf_sink_varlen_88, 14}},
    {"fmha_bf16_pertokenBf16_hd128_128x256_varlen.co", {SV128, 88, 327680, nf_sink_varlen_88, 14}}};

static int fixtures(const char *dir, int write) {
  int bad = 0;
  for (size_t i = 0; i < sizeof fixture_files / sizeof fixture_files[0]; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/hsa/gfx1250/fmha_fwd_bf16_varlen/%s", dir, fixture_files[i].file);
    size_t n = nf_object(&fixture_files[i].k, obj, sizeof obj);
    if (write) {
      if (nf_write(path, obj, n) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        bad = 1;
      }
      continue;
    }
    FILE *f = fopen(path, "rb");
    unsigned char have[16384];
    size_t got = f ? fread(have, 1, sizeof have, f) : 0;
    if (f) fclose(f);
    CHECK_MSG(got == n && memcmp(have, obj, n) == 0,
          "%s differs from the builder's output (run test_hip_aiter_abi --write-fixtures %s)", path,
          dir);
    ar_amdgpu_kernel_meta m;
    char err[512], sha[65];
    CHECK_MSG(ar_amdgpu_note_read(path, fixture_files[i].k.name, &m, sha, err, sizeof err) == 0,
          "read: %s", err);
    CHECK_MSG(strlen(sha) == 64, "sha %s", sha);
  }
  char missing[1024], err[1200];
  ar_amdgpu_kernel_meta m;
  snprintf(missing, sizeof missing, "%s/no_such.co", dir);
  CHECK_MSG(ar_amdgpu_note_read(missing, NULL, &m, NULL, err, sizeof err) == -1 &&
            contains(err, missing) && contains(err, "cannot open"),
        "missing file: %s", err);
  return bad;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--write-fixtures") == 0) return fixtures(argv[2], 1);
  if (argc != 2) {
    fprintf(stderr, "usage: test_aiter_abi FIXTURES_DIR | --write-fixtures DIR\n");
    return 2;
  }
  reader_tests();
  abi_tests();
  hostile_tests();
  fuzz(20000);
  fixtures(argv[1], 0);
  if (check_failures) {
    fprintf(stderr, "test_aiter_abi: %ld failure(s)\n", check_failures);
    return 1;
  }
  printf("test_aiter_abi: ok\n");
  return 0;
}
