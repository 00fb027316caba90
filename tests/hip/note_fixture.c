/*
** note_fixture.c -- the code-object builder of note_fixture.h: a small
** MessagePack writer and an ELF64 writer (header, note section, section-name
** table, section headers), little-endian as AMDGPU objects are.
*/
#include "note_fixture.h"

#include <stdio.h>
#include <string.h>

#define GB "global_buffer"
#define BV "by_value"

const nf_arg nf_sink_varlen_88[14] = {
    {0, 8, GB, NULL},  {8, 8, GB, NULL},  {16, 8, GB, NULL}, {24, 8, GB, NULL},
    {32, 8, GB, NULL}, {40, 8, GB, NULL}, {48, 8, GB, NULL}, {56, 4, BV, "f32"},
    {60, 4, BV, "i32"}, {64, 4, BV, "i32"}, {68, 4, BV, "i32"}, {72, 4, BV, "i32"},
    {76, 4, BV, "i32"}, {80, 8, GB, NULL}};

const nf_arg nf_sink_varlen_132[27] = {
    {0, 8, GB, NULL},   {8, 8, GB, NULL},   {16, 8, GB, NULL},  {24, 8, GB, NULL},
    {32, 8, GB, NULL},  {40, 4, BV, "f32"}, {44, 4, BV, "i32"}, {48, 4, BV, "i32"},
    {52, 4, BV, "i32"}, {56, 4, BV, "i32"}, {60, 4, BV, "i32"}, {64, 4, BV, "i32"},
    {68, 4, BV, "i32"}, {72, 4, BV, "i32"}, {76, 4, BV, "i32"}, {80, 4, BV, "i32"},
    {84, 4, BV, "i32"}, {88, 4, BV, "i32"}, {92, 4, BV, "i32"}, {96, 4, BV, "i32"},
    {100, 4, BV, "i32"}, {104, 4, BV, "i32"}, {108, 4, BV, "i32"}, {112, 4, BV, "i32"},
    {116, 4, BV, "i32"}, {120, 4, BV, "i32"}, {124, 8, GB, NULL}};

const nf_arg nf_pa_decode_176[22] = {
    {0, 8, GB, NULL},   {8, 8, GB, NULL},   {16, 8, GB, NULL},  {24, 8, GB, NULL},
    {32, 8, GB, NULL},  {40, 8, GB, NULL},  {48, 8, GB, NULL},  {56, 8, GB, NULL},
    {64, 4, BV, NULL},  {68, 4, BV, NULL},  {72, 4, BV, NULL},  {76, 4, BV, NULL},
    {80, 4, BV, NULL},  {84, 4, BV, NULL},  {88, 4, BV, NULL},  {120, 8, GB, NULL},
    {128, 8, GB, NULL}, {136, 8, GB, NULL}, {144, 8, GB, NULL}, {152, 8, GB, NULL},
    {160, 8, GB, NULL}, {168, 8, GB, NULL}};

/* ------------------------------------------------------- MessagePack */

typedef struct wr {
  unsigned char *p;
  size_t n, cap;
  int full;
} wr;

static void put(wr *w, const void *d, size_t n) {
  if (w->full || n > w->cap - w->n) {
    w->full = 1;
    return;
  }
  memcpy(w->p + w->n, d, n);
  w->n += n;
}

static void byte(wr *w, unsigned b) {
  unsigned char c = (unsigned char)b;
  put(w, &c, 1);
}

static void be(wr *w, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; i--) byte(w, (unsigned)(v >> (8 * i)) & 0xff);
}

static void mp_uint(wr *w, uint64_t v) {
  if (v < 0x80) byte(w, (unsigned)v);
  else if (v <= 0xff) { byte(w, 0xcc); be(w, v, 1); }
  else if (v <= 0xffff) { byte(w, 0xcd); be(w, v, 2); }
  else if (v <= 0xffffffffu) { byte(w, 0xce); be(w, v, 4); }
  else { byte(w, 0xcf); be(w, v, 8); }
}

static void mp_str(wr *w, const char *s) {
  size_t n = strlen(s);
  if (n < 32) byte(w, 0xa0 | (unsigned)n);
  else if (n <= 0xff) { byte(w, 0xd9); be(w, n, 1); }
  else { byte(w, 0xda); be(w, n, 2); }
  put(w, s, n);
}

static void mp_map(wr *w, unsigned n) {
  if (n < 16) byte(w, 0x80 | n);
  else { byte(w, 0xde); be(w, n, 2); }
}

static void mp_arr(wr *w, unsigned n) {
  if (n < 16) byte(w, 0x90 | n);
  else { byte(w, 0xdc); be(w, n, 2); }
}

static void kernel(wr *w, const nf_kernel *k) {
  char symbol[300];
  snprintf(symbol, sizeof symbol, "%s.kd", k->name);
  unsigned n = 8 + (k->kernarg >= 0) + (k->lds >= 0) + (k->args != NULL);
  mp_map(w, n);
  if (k->args) {
    mp_str(w, ".args");
    mp_arr(w, (unsigned)k->nargs);
    for (int i = 0; i < k->nargs; i++) {
      const nf_arg *a = &k->args[i];
      mp_map(w, a->type ? 4 : 3);
      mp_str(w, ".offset");
      mp_uint(w, (uint64_t)a->offset);
      mp_str(w, ".size");
      mp_uint(w, (uint64_t)a->size);
      mp_str(w, ".value_kind");
      mp_str(w, a->kind);
      if (a->type) {
        mp_str(w, ".value_type");
        mp_str(w, a->type);
      }
    }
  }
  if (k->lds >= 0) {
    mp_str(w, ".group_segment_fixed_size");
    mp_uint(w, (uint64_t)k->lds);
  }
  mp_str(w, ".kernarg_segment_align");
  mp_uint(w, 8);
  if (k->kernarg >= 0) {
    mp_str(w, ".kernarg_segment_size");
    mp_uint(w, (uint64_t)k->kernarg);
  }
  mp_str(w, ".max_flat_workgroup_size");
  mp_uint(w, 1024);
  mp_str(w, ".name");
  mp_str(w, k->name);
  mp_str(w, ".private_segment_fixed_size");
  mp_uint(w, 0);
  mp_str(w, ".sgpr_count");
  mp_uint(w, 106);
  mp_str(w, ".symbol");
  mp_str(w, symbol);
  mp_str(w, ".vgpr_count");
  mp_uint(w, 1024);
  mp_str(w, ".wavefront_size");
  mp_uint(w, 32);
}

size_t nf_metadata(const nf_kernel *k, int nk, const char *target, unsigned char *out,
                   size_t cap) {
  wr w = {out, 0, cap, 0};
  mp_map(&w, 3);
  mp_str(&w, "amdhsa.kernels");
  mp_arr(&w, (unsigned)nk);
  for (int i = 0; i < nk; i++) kernel(&w, &k[i]);
  mp_str(&w, "amdhsa.target");
  mp_str(&w, target);
  mp_str(&w, "amdhsa.version");
  mp_arr(&w, 2);
  mp_uint(&w, 1);
  mp_uint(&w, 2);
  return w.full ? 0 : w.n;
}

/* ---------------------------------------------------------------- ELF */

static void le(unsigned char *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

size_t nf_elf(const unsigned char *desc, size_t desclen, unsigned machine, unsigned char *out,
              size_t cap) {
  static const char shstrtab[] = "\0.note\0.shstrtab";
  size_t note_off = 64;
  size_t note_len = 12 + 8 + ((desclen + 3) & ~(size_t)3);
  size_t str_off = note_off + note_len;
  size_t sh_off = (str_off + sizeof shstrtab + 7) & ~(size_t)7;
  size_t total = sh_off + 3 * 64;
  if (total > cap) return 0;
  memset(out, 0, total);
  /* ELF header */
  memcpy(out, "\x7f" "ELF", 4);
  out[4] = 2;    /* ELFCLASS64 */
  out[5] = 1;    /* little-endian */
  out[6] = 1;    /* EV_CURRENT */
  out[7] = 64;   /* ELFOSABI_AMDGPU_HSA */
  out[8] = 3;    /* ABI version: code object v5 */
  le(out + 0x10, 3, 2);        /* ET_DYN */
  le(out + 0x12, machine, 2);  /* e_machine */
  le(out + 0x14, 1, 4);        /* e_version */
  le(out + 0x28, sh_off, 8);   /* e_shoff */
  le(out + 0x30, 0x059, 4);    /* e_flags: gfx1250-like mach id, not read */
  le(out + 0x34, 64, 2);       /* e_ehsize */
  le(out + 0x3A, 64, 2);       /* e_shentsize */
  le(out + 0x3C, 3, 2);        /* e_shnum */
  le(out + 0x3E, 2, 2);        /* e_shstrndx */
  /* the note */
  unsigned char *n = out + note_off;
  le(n, 7, 4);
  le(n + 4, desclen, 4);
  le(n + 8, 32, 4); /* NT_AMDGPU_METADATA */
  memcpy(n + 12, "AMDGPU", 7);
  memcpy(n + 20, desc, desclen);
  memcpy(out + str_off, shstrtab, sizeof shstrtab);
  /* section headers: null, .note, .shstrtab */
  unsigned char *sh = out + sh_off + 64;
  le(sh, 1, 4);        /* name ".note" */
  le(sh + 4, 7, 4);    /* SHT_NOTE */
  le(sh + 8, 2, 8);    /* SHF_ALLOC */
  le(sh + 0x18, note_off, 8);
  le(sh + 0x20, note_len, 8);
  le(sh + 0x30, 4, 8); /* align */
  sh += 64;
  le(sh, 7, 4);        /* ".shstrtab" */
  le(sh + 4, 3, 4);    /* SHT_STRTAB */
  le(sh + 0x18, str_off, 8);
  le(sh + 0x20, sizeof shstrtab, 8);
  le(sh + 0x30, 1, 8);
  return total;
}

size_t nf_object(const nf_kernel *k, unsigned char *out, size_t cap) {
  unsigned char md[4096];
  size_t n = nf_metadata(k, 1, "amdgcn-amd-amdhsa--gfx1250", md, sizeof md);
  return n ? nf_elf(md, n, 0xE0, out, cap) : 0;
}

int nf_write(const char *path, const unsigned char *d, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  int rc = fwrite(d, 1, n, f) == n ? 0 : -1;
  if (fclose(f) != 0) rc = -1;
  return rc;
}
