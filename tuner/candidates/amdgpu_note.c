/*
** amdgpu_note.c -- read one kernel's metadata out of an AMDGPU code object's
** NT_AMDGPU_METADATA note (amdgpu_note.h): ELF64 section (or program) headers
** to the note, the note records to the AMDGPU one, a bounded MessagePack
** reader over its descriptor.  Every read is checked against the input
** first; nesting is limited; element counts are checked against the bytes
** left, so a hostile note costs at most one pass over its own bytes.
*/
#include "amdgpu_note.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

#define EM_AMDGPU 0xE0u
#define SHT_NOTE 7u
#define PT_NOTE 4u
#define NT_AMDGPU_METADATA 32u
#define MP_MAX_DEPTH 32
#define MAX_FILE_BYTES (256u << 20)

/* ------------------------------------------------------------ errors */

typedef struct ctx {
  const char *what;
  char *err;
  size_t errlen;
} ctx;

static int fail(const ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const ctx *c, const char *fmt, ...) {
  char msg[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (c->errlen) snprintf(c->err, c->errlen, "%s: %s", c->what, msg);
  return -1;
}

/* ---------------------------------------------------------------- ELF */

static uint64_t le(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

/* 1 when [off, off + len) lies inside size (no overflow). */
static int inside(uint64_t off, uint64_t len, size_t size) {
  return off <= size && len <= size - off;
}

/* Scan the note records in data[off, off + len) for the AMDGPU metadata
** note: 1 and its descriptor when found, 0 when not, -1 when malformed. */
static int scan_notes(const ctx *c, const unsigned char *data, uint64_t off, uint64_t len,
                      const unsigned char **desc, size_t *desclen) {
  uint64_t pos = 0;
  while (len - pos >= 12) {
    const unsigned char *h = data + off + pos;
    uint64_t namesz = le(h, 4), descsz = le(h + 4, 4), type = le(h + 8, 4);
    uint64_t name_pad = (namesz + 3) & ~(uint64_t)3, desc_pad = (descsz + 3) & ~(uint64_t)3;
    uint64_t left = len - pos - 12;
    if (name_pad > left || descsz > left - name_pad)
      return fail(c, "malformed note: a record at byte %llu declares %llu + %llu bytes, "
                     "the note section has %llu left",
                  (unsigned long long)(off + pos), (unsigned long long)namesz,
                  (unsigned long long)descsz, (unsigned long long)left);
    const unsigned char *name = h + 12;
    if (type == NT_AMDGPU_METADATA && namesz == 7 && memcmp(name, "AMDGPU", 7) == 0) {
      *desc = name + name_pad;
      *desclen = (size_t)descsz;
      return 1;
    }
    uint64_t step = 12 + name_pad + (desc_pad <= left - name_pad ? desc_pad : descsz);
    pos += step;
  }
  return 0;
}

static int find_note(const ctx *c, const unsigned char *d, size_t size,
                     const unsigned char **desc, size_t *desclen) {
  static const unsigned char magic[4] = {0x7f, 'E', 'L', 'F'};
  if (size < 64 || memcmp(d, magic, 4) != 0)
    return fail(c, "not an ELF file (%zu bytes%s)", size,
                size >= 4 && memcmp(d, magic, 4) == 0 ? ", shorter than an ELF64 header" : "");
  if (d[4] != 2 || d[5] != 1)
    return fail(c, "not a 64-bit little-endian ELF object (class %u, data %u): not an AMDGPU "
                   "code object", d[4], d[5]);
  unsigned machine = (unsigned)le(d + 0x12, 2);
  if (machine != EM_AMDGPU)
    return fail(c, "ELF machine %u, not AMDGPU (%u): not an AMDGPU code object", machine,
                EM_AMDGPU);
  int found = 0;
  uint64_t shoff = le(d + 0x28, 8), shentsize = le(d + 0x3A, 2), shnum = le(d + 0x3C, 2);
  if (shnum && (shentsize < 64 || !inside(shoff, shnum * shentsize, size)))
    return fail(c, "malformed ELF: %llu section headers of %llu bytes at %llu, file is %zu "
                   "bytes", (unsigned long long)shnum, (unsigned long long)shentsize,
                (unsigned long long)shoff, size);
  for (uint64_t i = 0; i < shnum && !found; i++) {
    const unsigned char *sh = d + shoff + i * shentsize;
    if (le(sh + 4, 4) != SHT_NOTE) continue;
    uint64_t off = le(sh + 0x18, 8), len = le(sh + 0x20, 8);
    if (!inside(off, len, size))
      return fail(c, "malformed ELF: note section %llu at %llu + %llu bytes, file is %zu bytes",
                  (unsigned long long)i, (unsigned long long)off, (unsigned long long)len, size);
    found = scan_notes(c, d, off, len, desc, desclen);
    if (found < 0) return -1;
  }
  uint64_t phoff = le(d + 0x20, 8), phentsize = le(d + 0x36, 2), phnum = le(d + 0x38, 2);
  if (!found && phnum) {
    if (phentsize < 56 || !inside(phoff, phnum * phentsize, size))
      return fail(c, "malformed ELF: %llu program headers of %llu bytes at %llu, file is %zu "
                     "bytes", (unsigned long long)phnum, (unsigned long long)phentsize,
                  (unsigned long long)phoff, size);
    for (uint64_t i = 0; i < phnum && !found; i++) {
      const unsigned char *ph = d + phoff + i * phentsize;
      if (le(ph, 4) != PT_NOTE) continue;
      uint64_t off = le(ph + 0x08, 8), len = le(ph + 0x20, 8);
      if (!inside(off, len, size))
        return fail(c, "malformed ELF: note segment at %llu + %llu bytes, file is %zu bytes",
                    (unsigned long long)off, (unsigned long long)len, size);
      found = scan_notes(c, d, off, len, desc, desclen);
      if (found < 0) return -1;
    }
  }
  if (!found)
    return fail(c, "no AMDGPU metadata note (NT_AMDGPU_METADATA): not a code object v3 or "
                   "later, or its notes were stripped");
  return 0;
}

/* -------------------------------------------------------- MessagePack */

enum mp_kind { MP_NIL, MP_BOOL, MP_INT, MP_FLOAT, MP_STR, MP_BIN, MP_ARR, MP_MAP, MP_EXT };

typedef struct mp {
  const ctx *c;
  const unsigned char *p, *end, *start;
} mp;

static const char *kind_name(int k) {
  static const char *const names[] = {"nil",     "a boolean", "an integer",
                                      "a float", "a string",  "bytes",
                                      "an array", "a map",    "an extension"};
  return names[k];
}

static int mp_fail(mp *m, const char *what) {
  return fail(m->c, "malformed metadata (MessagePack) at byte %ld of the note: %s",
              (long)(m->p - m->start), what);
}

static int take(mp *m, size_t n, const unsigned char **out) {
  if ((size_t)(m->end - m->p) < n) return mp_fail(m, "truncated");
  *out = m->p;
  m->p += n;
  return 0;
}

static int be(mp *m, int n, uint64_t *v) {
  const unsigned char *b = NULL;
  if (take(m, (size_t)n, &b)) return -1;
  *v = 0;
  for (int i = 0; i < n; i++) *v = (*v << 8) | b[i];
  return 0;
}

/* Read one value's head: its kind; n = length (str, bin, ext payload) or
** count (array, map entries); iv = the integer (MP_INT, MP_BOOL). */
static int head(mp *m, int *kind, uint64_t *n, int64_t *iv) {
  const unsigned char *b = NULL;
  uint64_t v = 0;
  if (take(m, 1, &b)) return -1;
  unsigned t = *b;
  *n = 0;
  *iv = 0;
  if (t <= 0x7f) { *kind = MP_INT; *iv = t; return 0; }
  if (t >= 0xe0) { *kind = MP_INT; *iv = (int64_t)t - 256; return 0; }
  if ((t & 0xf0) == 0x80) { *kind = MP_MAP; *n = t & 0x0f; return 0; }
  if ((t & 0xf0) == 0x90) { *kind = MP_ARR; *n = t & 0x0f; return 0; }
  if ((t & 0xe0) == 0xa0) { *kind = MP_STR; *n = t & 0x1f; return 0; }
  switch (t) {
  case 0xc0: *kind = MP_NIL; return 0;
  case 0xc2: case 0xc3: *kind = MP_BOOL; *iv = t == 0xc3; return 0;
  case 0xc4: case 0xc5: case 0xc6:
    *kind = MP_BIN; return be(m, 1 << (t - 0xc4), n);
  case 0xc7: case 0xc8: case 0xc9:
    *kind = MP_EXT;
    if (be(m, 1 << (t - 0xc7), n)) return -1;
    *n += 1; /* the type byte */
    return 0;
  case 0xca: *kind = MP_FLOAT; *n = 4; return 0;
  case 0xcb: *kind = MP_FLOAT; *n = 8; return 0;
  case 0xcc: case 0xcd: case 0xce: case 0xcf:
    if (be(m, 1 << (t - 0xcc), &v)) return -1;
    if (v > (uint64_t)INT64_MAX) return mp_fail(m, "integer past 2^63");
    *kind = MP_INT; *iv = (int64_t)v; return 0;
  case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
    int bytes = 1 << (t - 0xd0);
    if (be(m, bytes, &v)) return -1;
    if (bytes < 8 && (v >> (8 * bytes - 1))) v |= ~(uint64_t)0 << (8 * bytes); /* sign */
    *kind = MP_INT; memcpy(iv, &v, sizeof v); return 0;
  }
  case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
    *kind = MP_EXT; *n = (1u << (t - 0xd4)) + 1; return 0;
  case 0xd9: case 0xda: case 0xdb:
    *kind = MP_STR; return be(m, 1 << (t - 0xd9), n);
  case 0xdc: case 0xdd:
    *kind = MP_ARR; return be(m, 2 << (t - 0xdc), n);
  case 0xde: case 0xdf:
    *kind = MP_MAP; return be(m, 2 << (t - 0xde), n);
  default:
    return mp_fail(m, "byte 0xc1 (never used by MessagePack)");
  }
}

/* Every element needs at least one byte: a count past the bytes left is a
** truncated (or lying) container, refused before any loop over it. */
static int check_count(mp *m, uint64_t count, int per) {
  if (count > (uint64_t)(m->end - m->p) / (uint64_t)per)
    return mp_fail(m, "a container declares more elements than bytes left (truncated)");
  return 0;
}

static int skip_value(mp *m, int depth);

/* Skip the payload or elements of a value whose head was just read. */
static int skip_body(mp *m, int kind, uint64_t n, int depth) {
  const unsigned char *b = NULL;
  switch (kind) {
  case MP_STR: case MP_BIN: case MP_EXT: case MP_FLOAT:
    if (n > (uint64_t)(m->end - m->p)) return mp_fail(m, "a value runs past the end (truncated)");
    return take(m, (size_t)n, &b);
  case MP_ARR: case MP_MAP: {
    uint64_t items = kind == MP_MAP ? n * 2 : n;
    if (check_count(m, n, kind == MP_MAP ? 2 : 1)) return -1;
    if (depth >= MP_MAX_DEPTH) return mp_fail(m, "nested deeper than 32 levels");
    for (uint64_t i = 0; i < items; i++)
      if (skip_value(m, depth + 1)) return -1;
    return 0;
  }
  default:
    return 0;
  }
}

static int skip_value(mp *m, int depth) {
  int kind;
  uint64_t n;
  int64_t iv;
  if (head(m, &kind, &n, &iv)) return -1;
  return skip_body(m, kind, n, depth);
}

/* A string value (its head already read as MP_STR with length n). */
static int str_body(mp *m, uint64_t n, const unsigned char **s) {
  if (n > (uint64_t)(m->end - m->p)) return mp_fail(m, "a string runs past the end (truncated)");
  return take(m, (size_t)n, s);
}

static int key_is(const unsigned char *k, uint64_t klen, const char *name) {
  return klen == strlen(name) && memcmp(k, name, (size_t)klen) == 0;
}

/* Read a key (must be a string). */
static int read_key(mp *m, const unsigned char **k, uint64_t *klen) {
  int kind;
  int64_t iv;
  if (head(m, &kind, klen, &iv)) return -1;
  if (kind != MP_STR) {
    char why[64];
    snprintf(why, sizeof why, "a map key is %s, not a string", kind_name(kind));
    return mp_fail(m, why);
  }
  return str_body(m, *klen, k);
}

/* Read the value of key `name` as an integer into *v, or as a string into
** buf (cap bytes with its NUL); want_str selects which. */
static int read_field(mp *m, const char *name, int want_str, int64_t *v, char *buf, size_t cap) {
  int kind;
  uint64_t n;
  int64_t iv;
  char why[128];
  if (head(m, &kind, &n, &iv)) return -1;
  if (want_str) {
    const unsigned char *s = NULL;
    if (kind != MP_STR) {
      snprintf(why, sizeof why, "%s is %s, not a string", name, kind_name(kind));
      return mp_fail(m, why);
    }
    if (str_body(m, n, &s)) return -1;
    if (n >= cap) {
      snprintf(why, sizeof why, "%s is %llu bytes long (at most %zu)", name,
               (unsigned long long)n, cap - 1);
      return mp_fail(m, why);
    }
    if (memchr(s, '\0', (size_t)n)) {
      snprintf(why, sizeof why, "%s holds a NUL byte", name);
      return mp_fail(m, why);
    }
    memcpy(buf, s, (size_t)n);
    buf[n] = '\0';
    return 0;
  }
  if (kind != MP_INT) {
    snprintf(why, sizeof why, "%s is %s, not an integer", name, kind_name(kind));
    return mp_fail(m, why);
  }
  *v = iv;
  return 0;
}

static int parse_arg(mp *m, ar_amdgpu_arg *a, int keep) {
  int kind;
  uint64_t n;
  int64_t iv;
  if (head(m, &kind, &n, &iv)) return -1;
  if (kind != MP_MAP) return mp_fail(m, "an entry of .args is not a map");
  if (check_count(m, n, 2)) return -1;
  ar_amdgpu_arg tmp = {-1, -1, "", ""};
  for (uint64_t i = 0; i < n; i++) {
    const unsigned char *k = NULL;
    uint64_t kl;
    if (read_key(m, &k, &kl)) return -1;
    int rc;
    if (key_is(k, kl, ".offset")) rc = read_field(m, ".offset", 0, &tmp.offset, NULL, 0);
    else if (key_is(k, kl, ".size")) rc = read_field(m, ".size", 0, &tmp.size, NULL, 0);
    else if (key_is(k, kl, ".value_kind"))
      rc = read_field(m, ".value_kind", 1, NULL, tmp.value_kind, sizeof tmp.value_kind);
    else if (key_is(k, kl, ".value_type"))
      rc = read_field(m, ".value_type", 1, NULL, tmp.value_type, sizeof tmp.value_type);
    else rc = skip_value(m, 3);
    if (rc) return -1;
  }
  if (keep) *a = tmp;
  return 0;
}

static int parse_kernel(mp *m, ar_amdgpu_kernel_meta *k) {
  int kind;
  uint64_t n;
  int64_t iv;
  memset(k, 0, sizeof *k);
  k->kernarg_segment_size = k->kernarg_segment_align = k->group_segment_fixed_size = -1;
  k->private_segment_fixed_size = k->wavefront_size = k->max_flat_workgroup_size = -1;
  if (head(m, &kind, &n, &iv)) return -1;
  if (kind != MP_MAP) return mp_fail(m, "an entry of amdhsa.kernels is not a map");
  if (check_count(m, n, 2)) return -1;
  static const struct { const char *key; size_t off; } nums[] = {
      {".kernarg_segment_size", offsetof(ar_amdgpu_kernel_meta, kernarg_segment_size)},
      {".kernarg_segment_align", offsetof(ar_amdgpu_kernel_meta, kernarg_segment_align)},
      {".group_segment_fixed_size", offsetof(ar_amdgpu_kernel_meta, group_segment_fixed_size)},
      {".private_segment_fixed_size",
       offsetof(ar_amdgpu_kernel_meta, private_segment_fixed_size)},
      {".wavefront_size", offsetof(ar_amdgpu_kernel_meta, wavefront_size)},
      {".max_flat_workgroup_size", offsetof(ar_amdgpu_kernel_meta, max_flat_workgroup_size)}};
  for (uint64_t i = 0; i < n; i++) {
    const unsigned char *key = NULL;
    uint64_t kl;
    if (read_key(m, &key, &kl)) return -1;
    int rc = 1;
    for (size_t j = 0; j < sizeof nums / sizeof nums[0] && rc == 1; j++)
      if (key_is(key, kl, nums[j].key))
        rc = read_field(m, nums[j].key, 0, (int64_t *)(void *)((char *)k + nums[j].off), NULL,
                        0);
    if (rc == 1) {
      if (key_is(key, kl, ".name"))
        rc = read_field(m, ".name", 1, NULL, k->name, sizeof k->name);
      else if (key_is(key, kl, ".symbol"))
        rc = read_field(m, ".symbol", 1, NULL, k->symbol, sizeof k->symbol);
      else if (key_is(key, kl, ".args")) {
        uint64_t na;
        if ((rc = head(m, &kind, &na, &iv)) == 0) {
          if (kind != MP_ARR) return mp_fail(m, ".args is not an array");
          if (check_count(m, na, 1)) return -1;
          k->args_total = (int)(na < 1u << 20 ? na : 1u << 20);
          for (uint64_t a = 0; a < na && rc == 0; a++) {
            int keep = a < AR_AMDGPU_MAX_ARGS;
            rc = parse_arg(m, keep ? &k->args[a] : NULL, keep);
          }
          k->nargs = k->args_total < AR_AMDGPU_MAX_ARGS ? k->args_total : AR_AMDGPU_MAX_ARGS;
        }
      } else
        rc = skip_value(m, 2);
    }
    if (rc) return -1;
  }
  return 0;
}

static int kernel_matches(const ar_amdgpu_kernel_meta *k, const char *want) {
  size_t wl = strlen(want);
  if (strcmp(k->name, want) == 0 || strcmp(k->symbol, want) == 0) return 1;
  if (strlen(k->symbol) == wl + 3 && strncmp(k->symbol, want, wl) == 0 &&
      strcmp(k->symbol + wl, ".kd") == 0)
    return 1;
  return wl > 3 && strcmp(want + wl - 3, ".kd") == 0 && strlen(k->name) == wl - 3 &&
         strncmp(k->name, want, wl - 3) == 0;
}

static int parse_metadata(const ctx *c, const unsigned char *d, size_t len, const char *want,
                          ar_amdgpu_kernel_meta *out) {
  mp m = {c, d, d + len, d};
  int kind;
  uint64_t n;
  int64_t iv;
  int found = 0, nkernels = 0;
  char target[sizeof out->target] = "";
  ar_amdgpu_kernel_meta *k = malloc(sizeof *k);
  if (!k) return fail(c, "out of memory");
  int rc = head(&m, &kind, &n, &iv);
  if (rc == 0 && kind != MP_MAP) {
    char why[64];
    snprintf(why, sizeof why, "the note holds %s, not a map", kind_name(kind));
    rc = mp_fail(&m, why);
  }
  if (rc == 0) rc = check_count(&m, n, 2);
  int saw_kernels = 0;
  for (uint64_t i = 0; i < n && rc == 0; i++) {
    const unsigned char *key = NULL;
    uint64_t kl;
    if ((rc = read_key(&m, &key, &kl)) != 0) break;
    if (key_is(key, kl, "amdhsa.target")) {
      rc = read_field(&m, "amdhsa.target", 1, NULL, target, sizeof target);
    } else if (key_is(key, kl, "amdhsa.kernels")) {
      uint64_t nk;
      saw_kernels = 1;
      if ((rc = head(&m, &kind, &nk, &iv)) != 0) break;
      if (kind != MP_ARR) { rc = mp_fail(&m, "amdhsa.kernels is not an array"); break; }
      if ((rc = check_count(&m, nk, 1)) != 0) break;
      for (uint64_t j = 0; j < nk && rc == 0; j++) {
        if ((rc = parse_kernel(&m, k)) != 0) break;
        nkernels++;
        if (!found && (want ? kernel_matches(k, want) : 1)) {
          *out = *k;
          found = 1;
        }
      }
    } else {
      rc = skip_value(&m, 1);
    }
  }
  free(k);
  if (rc) return -1;
  if (!saw_kernels) return fail(c, "the metadata note has no amdhsa.kernels");
  if (!want && nkernels != 1)
    return fail(c, "the metadata note lists %d kernels; name the one wanted", nkernels);
  if (!found)
    return fail(c, "no kernel %s in the metadata note (it lists %d)", want, nkernels);
  snprintf(out->target, sizeof out->target, "%s", target);
  return 0;
}

/* -------------------------------------------------------------- entry */

int ar_amdgpu_note_parse(const unsigned char *data, size_t size, const char *what,
                         const char *kernel, ar_amdgpu_kernel_meta *out, char *err,
                         size_t errlen) {
  ctx c = {what ? what : "code object", err, errlen};
  const unsigned char *desc = NULL;
  size_t desclen = 0;
  if (errlen) err[0] = '\0';
  memset(out, 0, sizeof *out);
  if (!data) return fail(&c, "no data");
  if (find_note(&c, data, size, &desc, &desclen) == 0 &&
      parse_metadata(&c, desc, desclen, kernel, out) == 0)
    return 0;
  memset(out, 0, sizeof *out);
  return -1;
}

int ar_amdgpu_note_read(const char *path, const char *kernel, ar_amdgpu_kernel_meta *out,
                        char sha256_hex[65], char *err, size_t errlen) {
  ctx c = {path, err, errlen};
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) return fail(&c, "cannot open: %s", strerror(errno));
  unsigned char *buf = NULL;
  size_t size = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (size == cap) {
      size_t ncap = cap ? cap * 2 : 1u << 16;
      if (ncap > MAX_FILE_BYTES + 1) ncap = MAX_FILE_BYTES + 1;
      if (ncap == cap) { rc = fail(&c, "larger than %u MiB: not a code object", MAX_FILE_BYTES >> 20); break; }
      unsigned char *nb = realloc(buf, ncap);
      if (!nb) { rc = fail(&c, "out of memory"); break; }
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + size, 1, cap - size, f);
    size += got;
    if (got == 0) {
      if (ferror(f)) rc = fail(&c, "read error: %s", strerror(errno));
      break;
    }
  }
  fclose(f);
  if (rc == 0) rc = ar_amdgpu_note_parse(buf, size, path, kernel, out, err, errlen);
  if (rc == 0 && sha256_hex) {
    ar_sha256 s;
    ar_sha256_init(&s);
    ar_sha256_update(&s, buf, size);
    ar_sha256_hex(&s, sha256_hex);
  }
  free(buf);
  return rc;
}
