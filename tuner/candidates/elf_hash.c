/*
** elf_hash.c -- code-object hash without debug sections (see elf_hash.h).
**
** Reads the ELF64 header and section table with explicit byte order (no
** <elf.h> structs: the host may be of either byte order), checks every
** offset against the file size before it is read, and feeds the kept
** fields, each length-prefixed, into SHA-256.
*/
#include "elf_hash.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

#define SHT_NOBITS 8u
#define HASH_TAG "attnroute-elf-hash-1"

typedef struct elf_in {
  const unsigned char *d;
  size_t size;
  int big; /* EI_DATA == ELFDATA2MSB */
} elf_in;

static uint64_t rd(const elf_in *e, size_t off, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) {
    unsigned b = e->d[off + (size_t)(e->big ? i : bytes - 1 - i)];
    v = (v << 8) | b;
  }
  return v;
}

static int has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

int ar_elf_section_is_debug(const char *name) {
  if (has_prefix(name, ".rela.")) name += 5;
  else if (has_prefix(name, ".rel."))
    name += 4;
  return has_prefix(name, ".debug") || has_prefix(name, ".nv_debug") || has_prefix(name, ".zdebug");
}

/* Feed a length-prefixed field (8-byte little-endian length, then bytes). */
static void field(ar_sha256 *s, const void *data, size_t len) {
  unsigned char n[8];
  for (int i = 0; i < 8; i++) n[i] = (unsigned char)((uint64_t)len >> (8 * i));
  ar_sha256_update(s, n, 8);
  if (len) ar_sha256_update(s, data, len);
}

static void field_u64(ar_sha256 *s, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
  field(s, b, 8);
}

static int fail(char *err, size_t errlen, const char *what, const char *why) {
  snprintf(err, errlen, "%s: malformed ELF object: %s", what, why);
  return -1;
}

int ar_code_object_hash_bytes(const unsigned char *data, size_t size, const char *what,
                              char hex[65], char *err, size_t errlen) {
  ar_sha256 s;
  ar_sha256_init(&s);
  if (size < 64 || memcmp(data, "\177ELF", 4) != 0 || data[4] != 2 /* ELFCLASS64 */ ||
      (data[5] != 1 && data[5] != 2)) {
    ar_sha256_update(&s, data, size); /* not ELF64: the whole file */
    ar_sha256_hex(&s, hex);
    return 0;
  }
  elf_in e = {data, size, data[5] == 2};
  uint64_t shoff = rd(&e, 0x28, 8);
  uint64_t shentsize = rd(&e, 0x3a, 2), shnum = rd(&e, 0x3c, 2), shstrndx = rd(&e, 0x3e, 2);
  if (shnum == 0 && shoff) { /* more than 0xff00 sections: count in section 0's sh_size */
    if (shoff > size || size - shoff < 64) return fail(err, errlen, what, "section table past the end");
    shnum = rd(&e, (size_t)shoff + 0x20, 8);
  }
  if (shnum && shentsize < 64) return fail(err, errlen, what, "section header size below 64");
  if (shnum && (shoff > size || shnum > (size - shoff) / shentsize))
    return fail(err, errlen, what, "section table past the end");
  if (shstrndx == 0xffff && shnum) shstrndx = rd(&e, (size_t)shoff + 0x28, 4); /* SHN_XINDEX */
  if (shnum && shstrndx >= shnum) return fail(err, errlen, what, "section-name table index out of range");

  field(&s, HASH_TAG, sizeof HASH_TAG);
  field(&s, data, 16);                           /* e_ident: class, data, version, OS ABI */
  field_u64(&s, rd(&e, 0x10, 2));                /* e_type */
  field_u64(&s, rd(&e, 0x12, 2));                /* e_machine */
  field_u64(&s, rd(&e, 0x14, 4));                /* e_version */
  field_u64(&s, rd(&e, 0x18, 8));                /* e_entry */
  field_u64(&s, rd(&e, 0x30, 4));                /* e_flags (the sm_/gfx target) */

  uint64_t str_off = 0, str_size = 0;
  if (shnum) {
    size_t h = (size_t)(shoff + shstrndx * shentsize);
    str_off = rd(&e, h + 0x18, 8);
    str_size = rd(&e, h + 0x20, 8);
    if (str_off > size || str_size > size - str_off)
      return fail(err, errlen, what, "section-name table past the end");
  }
  for (uint64_t i = 0; i < shnum; i++) {
    size_t h = (size_t)(shoff + i * shentsize);
    uint64_t name = rd(&e, h, 4), type = rd(&e, h + 4, 4), off = rd(&e, h + 0x18, 8),
             sz = rd(&e, h + 0x20, 8);
    const char *nm = "";
    size_t nlen = 0;
    if (i > 0 || name) {
      if (name >= str_size) return fail(err, errlen, what, "section name out of range");
      nm = (const char *)data + str_off + name;
      const void *nul = memchr(nm, '\0', (size_t)(str_size - name));
      if (!nul) return fail(err, errlen, what, "section name not terminated");
      nlen = (size_t)((const char *)nul - nm);
    }
    if (ar_elf_section_is_debug(nm)) continue;
    field(&s, nm, nlen);
    field_u64(&s, type);
    field_u64(&s, rd(&e, h + 0x08, 8)); /* sh_flags */
    field_u64(&s, rd(&e, h + 0x10, 8)); /* sh_addr */
    field_u64(&s, sz);
    field_u64(&s, rd(&e, h + 0x28, 4)); /* sh_link */
    field_u64(&s, rd(&e, h + 0x2c, 4)); /* sh_info */
    field_u64(&s, rd(&e, h + 0x30, 8)); /* sh_addralign */
    field_u64(&s, rd(&e, h + 0x38, 8)); /* sh_entsize */
    if (type == SHT_NOBITS || i == 0) continue;
    if (off > size || sz > size - off) {
      char why[160];
      snprintf(why, sizeof why, "section %.*s past the end", (int)(nlen > 100 ? 100 : nlen), nm);
      return fail(err, errlen, what, why);
    }
    field(&s, data + off, (size_t)sz);
  }
  ar_sha256_hex(&s, hex);
  return 0;
}

int ar_code_object_hash(const char *path, char hex[65], char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot read", path);
    return -1;
  }
  unsigned char *data = NULL;
  size_t size = 0, cap = 0, n;
  int rc = 0;
  for (;;) {
    if (cap - size < 65536) {
      size_t ncap = cap ? cap * 2 : 1 << 20;
      unsigned char *nd = realloc(data, ncap);
      if (!nd) {
        snprintf(err, errlen, "%s: out of memory reading it", path);
        rc = -1;
        break;
      }
      data = nd;
      cap = ncap;
    }
    n = fread(data + size, 1, cap - size, f);
    size += n;
    if (n == 0) break;
  }
  if (rc == 0 && ferror(f)) {
    snprintf(err, errlen, "%s: cannot read", path);
    rc = -1;
  }
  fclose(f);
  if (rc == 0) rc = ar_code_object_hash_bytes(data ? data : (const unsigned char *)"", size, path, hex, err, errlen);
  free(data);
  return rc;
}
