/*
** test_code_hash.c -- candidates' code hashes: the same for the same
** behaviour, different otherwise.
**
**   elf       an ELF64 object built in memory twice, the second with a longer
**             .debug_line (a longer build path) and its relocations moved:
**             the files differ, the hashes do not; a changed .text or e_flags
**             changes the hash; a non-ELF file hashes as its plain sha256; a
**             truncated section table is refused, naming the file
**   geometry  the launch fingerprint of a candidate against itself, against a
**             copy whose dims function differs in one shared-memory byte, in
**             tile size, in the split rule (fixed 16 vs auto), in the family's
**             kernels; through ar_candidate_code_hash too (host candidates)
**   hash FILE print ar_code_object_hash(FILE) (for code_hash_repro.cmake)
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn_variants.h"
#include "candidates_host.h"
#include "elf_hash.h"
#include "families.h"
#include "kernel_path.h"
#include "launch_fingerprint.h"
#include "sha256.h"
#include "test_host_util.h"

/* ------------------------------------------------------------------ elf */
typedef struct sec {
  const char *name;
  uint32_t type;
  const unsigned char *data;
  size_t size;
} sec;

static void w16(unsigned char *p, uint64_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void w32(unsigned char *p, uint64_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static void w64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }

/* Lay out: ELF header, section contents in order (8-aligned), the names
** (.shstrtab, last section), the section table. */
static size_t build_elf(unsigned char *out, size_t cap, const sec *s, int n, uint32_t e_flags) {
  memset(out, 0, cap);
  memcpy(out, "\177ELF", 4);
  out[4] = 2; out[5] = 1; out[6] = 1; /* ELF64, little-endian, EV_CURRENT */
  w16(out + 0x10, 1);                  /* ET_REL */
  w16(out + 0x12, 190);                /* EM_CUDA */
  w32(out + 0x14, 1);
  w32(out + 0x30, e_flags);
  w16(out + 0x34, 64);
  size_t off = 64, name_off[16], data_off[16];
  for (int i = 0; i < n; i++) {
    off = (off + 7) & ~(size_t)7;
    data_off[i] = off;
    if (s[i].size) memcpy(out + off, s[i].data, s[i].size);
    off += s[i].size;
  }
  size_t strtab = off, str_len = 1;
  out[off] = 0;
  for (int i = 0; i < n; i++) {
    name_off[i] = str_len;
    memcpy(out + strtab + str_len, s[i].name, strlen(s[i].name) + 1);
    str_len += strlen(s[i].name) + 1;
  }
  size_t shstr_name = str_len;
  memcpy(out + strtab + str_len, ".shstrtab", 10);
  str_len += 10;
  size_t shoff = (strtab + str_len + 7) & ~(size_t)7;
  int shnum = n + 2; /* null, sections, .shstrtab */
  CHECK(shoff + (size_t)shnum * 64 <= cap);
  for (int i = 0; i < n; i++) {
    unsigned char *h = out + shoff + 64 * (size_t)(i + 1);
    w32(h, name_off[i]);
    w32(h + 4, s[i].type);
    w64(h + 0x18, data_off[i]);
    w64(h + 0x20, s[i].size);
    w64(h + 0x30, 1);
  }
  unsigned char *h = out + shoff + 64 * (size_t)(n + 1);
  w32(h, shstr_name);
  w32(h + 4, 3);
  w64(h + 0x18, strtab);
  w64(h + 0x20, str_len);
  w64(out + 0x28, shoff);
  w16(out + 0x3a, 64);
  w16(out + 0x3c, (uint64_t)shnum);
  w16(out + 0x3e, (uint64_t)(n + 1));
  return shoff + (size_t)shnum * 64;
}

static void hash_bytes(const unsigned char *d, size_t n, char hex[65]) {
  char err[256];
  CHECK_MSG(ar_code_object_hash_bytes(d, n, "test.o", hex, err, sizeof err) == 0, "%s", err);
}

static void test_elf(void) {
  static unsigned char a[8192], b[8192], c[8192];
  static const unsigned char text[] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80};
  static const unsigned char text2[] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x81};
  static const unsigned char info[] = {1, 2, 3, 4};
  const char *dbg_a = "/home/a/attnroute/kernels/attn_gather.cu";
  const char *dbg_b = "/srv/build/another/checkout/of/attnroute/kernels/attn_gather.cu";
  static const unsigned char rel_a[24] = {1}, rel_b[24] = {2};
  sec sa[] = {{".debug_line", 1, (const unsigned char *)dbg_a, strlen(dbg_a)},
              {".rela.debug_line", 4, rel_a, sizeof rel_a},
              {".nv.info", 0x70000000, info, sizeof info},
              {".text.k", 1, text, sizeof text},
              {".nv_debug_ptx_txt", 1, (const unsigned char *)dbg_a, 10},
              {".nv.shared.k", 8, NULL, 0}};
  sec sb[6];
  memcpy(sb, sa, sizeof sa);
  sb[0].data = (const unsigned char *)dbg_b;
  sb[0].size = strlen(dbg_b);
  sb[1].data = rel_b;
  sb[4].data = (const unsigned char *)dbg_b;
  sb[4].size = 30;
  size_t na = build_elf(a, sizeof a, sa, 6, 0x5a0);
  size_t nb = build_elf(b, sizeof b, sb, 6, 0x5a0);
  CHECK(na != nb || memcmp(a, b, na) != 0); /* the files differ */
  char ha[65], hb[65], hc[65];
  hash_bytes(a, na, ha);
  hash_bytes(b, nb, hb);
  CHECK_MSG(strcmp(ha, hb) == 0, "debug sections changed the hash: %s vs %s", ha, hb);

  sec sc[6];
  memcpy(sc, sa, sizeof sa);
  sc[3].data = text2;
  size_t nc = build_elf(c, sizeof c, sc, 6, 0x5a0);
  hash_bytes(c, nc, hc);
  CHECK_MSG(strcmp(ha, hc) != 0, ".text change kept the hash %s", ha);
  nc = build_elf(c, sizeof c, sa, 6, 0x5a1); /* another target */
  hash_bytes(c, nc, hc);
  CHECK(strcmp(ha, hc) != 0);
  sc[3] = sa[3];
  sc[2].name = ".nv.info.k"; /* a renamed kept section */
  nc = build_elf(c, sizeof c, sc, 6, 0x5a0);
  hash_bytes(c, nc, hc);
  CHECK(strcmp(ha, hc) != 0);

  /* not ELF: the plain sha256 of the bytes */
  static const unsigned char blob[] = "not an ELF file";
  ar_sha256 s;
  ar_sha256_init(&s);
  ar_sha256_update(&s, blob, sizeof blob);
  char want[65], got[65];
  ar_sha256_hex(&s, want);
  hash_bytes(blob, sizeof blob, got);
  CHECK(strcmp(want, got) == 0);

  /* truncated: the section table is past the end */
  char err[256];
  CHECK(ar_code_object_hash_bytes(a, na - 10, "cut.cubin", got, err, sizeof err) == -1);
  CHECK_MSG(strstr(err, "cut.cubin") && strstr(err, "malformed"), "%s", err);
  /* a section's contents past the end */
  memcpy(c, a, na);
  unsigned char *tab = c + (size_t)(c[0x28] | c[0x29] << 8); /* section 4 is .text.k */
  w64(tab + 64 * 4 + 0x20, 1u << 30);
  CHECK(ar_code_object_hash_bytes(c, na, "big.co", got, err, sizeof err) == -1);
  CHECK_MSG(strstr(err, "big.co") && strstr(err, ".text.k"), "%s", err);

  CHECK(ar_elf_section_is_debug(".debug_str") && ar_elf_section_is_debug(".rel.debug_info") &&
        ar_elf_section_is_debug(".rela.nv_debug_line_sass") && !ar_elf_section_is_debug(".text.k") &&
        !ar_elf_section_is_debug(".rela.text.k") && !ar_elf_section_is_debug(".nv.info"));
  printf("elf: ok\n");
}

/* ------------------------------------------------------------- geometry */
/* ar_dims_dense_bm128 with one more byte of shared memory. */
static void dims_dense_bm128_plus1(const void *args, ar_launch_dims *o) {
  ar_dims_dense_bm128(args, o);
  o->shared_bytes += 1;
}

static ar_candidate make(const char *family, int (*run)(const ar_candidate *, ar_backend *, const ar_loaded *,
                                                       const ar_workload *),
                         const void *variant) {
  ar_candidate c;
  memset(&c, 0, sizeof c);
  c.name = "probe";
  c.family = family;
  c.params = "";
  c.legacy_route = -1;
  c.run = run;
  c.variant = variant;
  return c;
}

static void fp(const ar_candidate *c, char hex[65]) { ar_launch_fingerprint_hex(c, hex); }

static void test_geometry(void) {
  char h1[65], h2[65];
  ar_dense_variant d128 = {ar_dims_gather_tok, ar_dims_dense_bm128};
  ar_dense_variant d128_again = {ar_dims_gather_tok, ar_dims_dense_bm128};
  ar_dense_variant d128_plus1 = {ar_dims_gather_tok, dims_dense_bm128_plus1};
  ar_dense_variant d64 = {ar_dims_gather_tok, ar_dims_dense_bm64};
  ar_dense_variant d128_page = {ar_dims_gather_page, ar_dims_dense_bm128};
  ar_candidate a = make("dense_sink", ar_family_dense_run, &d128);
  ar_candidate b = make("dense_sink", ar_family_dense_run, &d128_again);
  fp(&a, h1);
  fp(&b, h2);
  CHECK_MSG(strcmp(h1, h2) == 0, "same geometry, two fingerprints");
  b.variant = &d128_plus1;
  fp(&b, h2);
  CHECK_MSG(strcmp(h1, h2) != 0, "one more byte of shared memory kept the fingerprint");
  b.variant = &d64;
  fp(&b, h2);
  CHECK(strcmp(h1, h2) != 0);
  b.variant = &d128_page; /* the gather's dims */
  fp(&b, h2);
  CHECK(strcmp(h1, h2) != 0);
  b.variant = &d128;
  b.family = "paged"; /* another family name: another argument ABI */
  fp(&b, h2);
  CHECK(strcmp(h1, h2) != 0);

  ar_paged_variant p64 = {ar_dims_paged_bm64, NULL}, p128 = {ar_dims_paged_bm128, NULL};
  ar_candidate pa = make("paged", ar_family_paged_run, &p64), pb = make("paged", ar_family_paged_run, &p128);
  fp(&pa, h1);
  fp(&pb, h2);
  CHECK(strcmp(h1, h2) != 0);

  /* the split rule: fixed 16 segments vs auto (fills the device) */
  ar_decode_variant fixed = {ar_dims_decode_w4, ar_dims_decode_reduce, 16, AR_SPLITS_FILL, NULL};
  ar_decode_variant autos = {ar_dims_decode_w4, ar_dims_decode_reduce, 0, AR_SPLITS_FILL, NULL};
  ar_decode_variant fixed8 = {ar_dims_decode_w4, ar_dims_decode_reduce, 8, AR_SPLITS_FILL, NULL};
  ar_candidate da = make("paged_decode", ar_family_decode_run, &fixed);
  ar_candidate db = make("paged_decode", ar_family_decode_run, &autos);
  fp(&da, h1);
  fp(&db, h2);
  CHECK(strcmp(h1, h2) != 0);
  db.variant = &fixed8;
  fp(&db, h2);
  CHECK(strcmp(h1, h2) != 0);
  /* aiter's split rules and the pre-1345 gather change the launches too */
  {
    ar_decode_variant seg = {ar_dims_decode_w4, ar_dims_decode_reduce, 0, AR_SPLITS_AITER_SEGMENTS, NULL};
    ar_decode_variant gluon = {ar_dims_decode_w4, ar_dims_decode_reduce, 0, AR_SPLITS_GLUON, NULL};
    char h3[65], h4[65];
    db.variant = &autos;
    fp(&db, h1);
    db.variant = &seg;
    fp(&db, h3);
    db.variant = &gluon;
    fp(&db, h4);
    CHECK(strcmp(h1, h3) != 0 && strcmp(h1, h4) != 0 && strcmp(h3, h4) != 0);
  }

  /* through the code hash: a host candidate and its copy with other dims */
  int n = 0;
  const ar_candidate *const *host = ar_candidates_host(&n);
  CHECK(n > 0);
  char c1[65], c2[65], c3[65], err[256];
  ar_candidate copy = *host[0];
  CHECK_MSG(ar_candidate_code_hash(host[0], c1, err, sizeof err) == 0, "%s", err);
  CHECK_MSG(ar_candidate_code_hash(&copy, c2, err, sizeof err) == 0, "%s", err);
  CHECK(strcmp(c1, c2) == 0);
  ar_dense_variant other = {ar_dims_gather_tok, ar_dims_dense_bm128};
  copy.variant = &other;
  CHECK_MSG(ar_candidate_code_hash(&copy, c3, err, sizeof err) == 0, "%s", err);
  CHECK_MSG(strcmp(c1, c3) != 0, "the code hash ignores launch geometry");
  /* host candidates sharing the module but not the split count differ */
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      CHECK(ar_candidate_code_hash(host[i], c1, err, sizeof err) == 0);
      CHECK(ar_candidate_code_hash(host[j], c2, err, sizeof err) == 0);
      CHECK_MSG(strcmp(c1, c2) != 0, "%s and %s share a code hash", host[i]->name, host[j]->name);
    }
  printf("geometry: ok\n");
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "hash") == 0) {
    char hex[65], err[1200];
    if (ar_code_object_hash(argv[2], hex, err, sizeof err) != 0) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    printf("%s\n", hex);
    return 0;
  }
  const char *part = argc > 1 ? argv[1] : "all";
  if (!strcmp(part, "all") || !strcmp(part, "elf")) test_elf();
  if (!strcmp(part, "all") || !strcmp(part, "geometry")) test_geometry();
  return 0;
}
