/*
** table_text.c -- the strict parser of the table text format written by
** `attnroute_gen.py --text` (format documented in gen/attnroute_gen/emit_text.py).
** Every field is range-checked, every count is checked against the lines
** the file still holds before anything is allocated, and the loaded table
** is what the generated header would hold, field by field.
*/
#include "table_text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLASSES 4096
#define MAX_AXIS_LEN 4096
#define MAX_TOKENS (MAX_AXIS_LEN + 3)
#define MAX_CELLS ((int64_t)1 << 24)

static const char *const axis_names[ATTNROUTE_NUM_AXES] = {"num_seqs", "seqlen_q", "cached",
                                                           "q_heads", "gqa"};

/* Reader state: the rest of the text, the current line and its tokens. */
typedef struct lexer {
  const char *p, *end;
  const char *name;
  long line;        /* number of the current line (1-based) */
  long total_lines; /* lines in the file */
  int ntok;
  const char **tok; /* MAX_TOKENS token starts */
  size_t *toklen;   /* and lengths */
  char *err;
  size_t errlen;
} lexer;

static int fail(lexer *lx, const char *fmt, ...) {
  va_list ap;
  int n = snprintf(lx->err, lx->errlen, "%s:%ld: ", lx->name, lx->line);
  if (n < 0 || (size_t)n >= lx->errlen) return -1;
  va_start(ap, fmt);
  vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

/* Lines the file holds after the current one. */
static long lines_left(const lexer *lx) { return lx->total_lines - lx->line; }

/* Reads the next line into tokens; with skip_comments, lines starting with
** '#' are passed over.  A line must end with '\n', hold only printable
** ASCII and single spaces between non-empty tokens.  0, or -1 at the end of
** the text (with `what` named as missing) or on a malformed line. */
static int next_line(lexer *lx, int skip_comments, const char *what) {
  for (;;) {
    const char *s = lx->p, *nl, *q;
    if (s >= lx->end) {
      lx->line++;
      return fail(lx, "unexpected end of file, expected %s", what);
    }
    nl = memchr(s, '\n', (size_t)(lx->end - s));
    lx->line++;
    if (!nl) return fail(lx, "last line does not end with a newline");
    lx->p = nl + 1;
    if (skip_comments && *s == '#') continue;
    for (q = s; q < nl; q++)
      if (*q < 0x20 || *q > 0x7e) return fail(lx, "byte 0x%02x is not printable ASCII", (unsigned)(unsigned char)*q);
    lx->ntok = 0;
    q = s;
    while (q < nl) {
      const char *t = q;
      while (q < nl && *q != ' ') q++;
      if (q == t) return fail(lx, "empty field (leading, trailing or double space)");
      if (lx->ntok == MAX_TOKENS) return fail(lx, "more than %d fields", MAX_TOKENS);
      lx->tok[lx->ntok] = t;
      lx->toklen[lx->ntok] = (size_t)(q - t);
      lx->ntok++;
      if (q < nl) {
        q++;
        if (q == nl) return fail(lx, "empty field (leading, trailing or double space)");
      }
    }
    if (lx->ntok == 0) return fail(lx, "empty line, expected %s", what);
    return 0;
  }
}

static int tok_is(const lexer *lx, int i, const char *word) {
  size_t n = strlen(word);
  return i < lx->ntok && lx->toklen[i] == n && memcmp(lx->tok[i], word, n) == 0;
}

/* The next line must start with `key` and have `fields` fields after it. */
static int expect(lexer *lx, const char *key, int fields) {
  if (next_line(lx, 1, key)) return -1;
  if (!tok_is(lx, 0, key))
    return fail(lx, "expected '%s', got '%.*s'", key, (int)(lx->toklen[0] > 40 ? 40 : lx->toklen[0]),
                lx->tok[0]);
  if (lx->ntok != fields + 1)
    return fail(lx, "'%s' takes %d field(s), got %d", key, fields, lx->ntok - 1);
  return 0;
}

/* Field i as a decimal int32 in [lo, hi]: optional '-', no leading zeros. */
static int tok_int(lexer *lx, int i, const char *what, int64_t lo, int64_t hi, int32_t *out) {
  const char *t = lx->tok[i];
  size_t n = lx->toklen[i], k = 0;
  int neg = 0;
  int64_t v = 0;
  if (n > 0 && t[0] == '-') {
    neg = 1;
    k = 1;
  }
  if (k == n || n - k > 10) return fail(lx, "%s: '%.*s' is not an integer", what, (int)(n > 40 ? 40 : n), t);
  if (t[k] == '0' && (n - k > 1 || neg)) return fail(lx, "%s: '%.*s' is not a canonical integer", what, (int)n, t);
  for (; k < n; k++) {
    if (t[k] < '0' || t[k] > '9') return fail(lx, "%s: '%.*s' is not an integer", what, (int)(n > 40 ? 40 : n), t);
    v = v * 10 + (t[k] - '0');
  }
  if (neg) v = -v;
  if (v < lo || v > hi) return fail(lx, "%s: %lld is out of range [%lld, %lld]", what, (long long)v, (long long)lo, (long long)hi);
  *out = (int32_t)v;
  return 0;
}

/* Field i as "0x" + 8 lower-case hex digits. */
static int tok_hex(lexer *lx, int i, const char *what, uint32_t *out) {
  const char *t = lx->tok[i];
  uint32_t v = 0;
  size_t k;
  if (lx->toklen[i] != 10 || t[0] != '0' || t[1] != 'x')
    return fail(lx, "%s: '%.*s' is not 0x and 8 hex digits", what, (int)(lx->toklen[i] > 40 ? 40 : lx->toklen[i]), t);
  for (k = 2; k < 10; k++) {
    int d;
    if (t[k] >= '0' && t[k] <= '9') d = t[k] - '0';
    else if (t[k] >= 'a' && t[k] <= 'f') d = t[k] - 'a' + 10;
    else return fail(lx, "%s: '%.10s' is not 0x and 8 lower-case hex digits", what, t);
    v = v * 16u + (uint32_t)d;
  }
  *out = v;
  return 0;
}

/* Field i as a finite float32 in decimal ("%.9g" of the generator). */
static int tok_float(lexer *lx, int i, const char *what, float *out) {
  char buf[48];
  char *end;
  size_t n = lx->toklen[i], k;
  float v;
  if (n == 0 || n >= sizeof buf) return fail(lx, "%s: '%.*s' is not a number", what, (int)(n > 40 ? 40 : n), lx->tok[i]);
  for (k = 0; k < n; k++) {
    char c = lx->tok[i][k];
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      return fail(lx, "%s: '%.*s' is not a decimal number", what, (int)n, lx->tok[i]);
  }
  memcpy(buf, lx->tok[i], n);
  buf[n] = '\0';
  errno = 0;
  v = strtof(buf, &end);
  if (end != buf + n || errno == ERANGE || !isfinite(v))
    return fail(lx, "%s: '%s' is not a finite float", what, buf);
  *out = v;
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Field i as a STR: '-' the empty string, %XX escapes (upper case) for the
** bytes that must be escaped and only those ("%2D" alone: "-").  A new
** NUL-terminated copy in *out. */
static int tok_str(lexer *lx, int i, const char *what, char **out) {
  const char *t = lx->tok[i];
  size_t n = lx->toklen[i], k, m = 0;
  int whole_dash = n == 3 && memcmp(t, "%2D", 3) == 0;
  char *s = malloc(n + 1);
  if (!s) return fail(lx, "out of memory");
  if (!(n == 1 && t[0] == '-')) {
    for (k = 0; k < n; k++) {
      unsigned char c = (unsigned char)t[k];
      if (c == '%') {
        int hi = k + 2 < n ? hexval(t[k + 1]) : -1, lo = k + 2 < n ? hexval(t[k + 2]) : -1, b;
        if (hi < 0 || lo < 0) {
          free(s);
          return fail(lx, "%s: bad %%XX escape", what);
        }
        b = hi * 16 + lo;
        if (b == 0 || (b >= 0x21 && b <= 0x7e && b != '%' && !whole_dash)) {
          free(s);
          return fail(lx, "%s: escape %%%02X is not needed or not allowed", what, (unsigned)b);
        }
        s[m++] = (char)b;
        k += 2;
      } else {
        s[m++] = (char)c;
      }
    }
  }
  s[m] = '\0';
  *out = s;
  return 0;
}

/* TOPK slots starting at field i: candidate indices or 255, the 255s last,
** no index twice. */
static int tok_slots(lexer *lx, int i, int32_t ncand, uint8_t *slots) {
  int k, j;
  for (k = 0; k < ATTNROUTE_TOPK; k++) {
    int32_t v;
    if (tok_int(lx, i + k, "slot", 0, 255, &v)) return -1;
    if (v != ATTNROUTE_NO_CANDIDATE && v >= ncand)
      return fail(lx, "slot %d: candidate %d does not exist (%d candidates)", k, v, ncand);
    if (k > 0 && slots[k - 1] == ATTNROUTE_NO_CANDIDATE && v != ATTNROUTE_NO_CANDIDATE)
      return fail(lx, "slot %d: a candidate after an empty slot", k);
    for (j = 0; j < k && v != ATTNROUTE_NO_CANDIDATE; j++)
      if (slots[j] == v) return fail(lx, "slot %d: candidate %d ranked twice", k, v);
    slots[k] = (uint8_t)v;
  }
  return 0;
}

/* route_dims[r]: head dims (head_dim_mask bits) already covered by a stand-in
** for route r; two stand-ins of one route may not share a head dim. */
static int parse_candidate(lexer *lx, attnroute_candidate *c, int32_t index,
                           uint32_t route_dims[ATTNROUTE_NUM_ROUTES]) {
  static const char *const cap_names[3] = {"sinks", "window", "causal"};
  int32_t v[3];
  int k;
  char *name = NULL, *hash = NULL;
  if (expect(lx, "candidate", 12)) return -1;
  if (tok_str(lx, 1, "candidate name", &name)) return -1;
  c->name = name;
  if (!name[0]) return fail(lx, "candidate %d has an empty name", index);
  if (tok_str(lx, 2, "code hash", &hash)) return -1;
  c->code_hash = hash;
  if (tok_int(lx, 3, "legacy_route", -1, ATTNROUTE_NUM_ROUTES - 1, &c->legacy_route)) return -1;
  if (tok_hex(lx, 4, "head_dim_mask", &c->caps.head_dim_mask) ||
      tok_hex(lx, 5, "q_dtype_mask", &c->caps.q_dtype_mask) ||
      tok_hex(lx, 6, "kv_dtype_mask", &c->caps.kv_dtype_mask) ||
      tok_hex(lx, 7, "block_size_mask", &c->caps.block_size_mask))
    return -1;
  if (c->legacy_route >= 0) {
    if (route_dims[c->legacy_route] & c->caps.head_dim_mask)
      return fail(lx, "candidate %d: legacy route %d already has a stand-in for these head dims", index,
                  c->legacy_route);
    route_dims[c->legacy_route] |= c->caps.head_dim_mask;
  }
  for (k = 0; k < 3; k++)
    if (tok_int(lx, 8 + k, cap_names[k], ATTNROUTE_CAP_FORBIDDEN, ATTNROUTE_CAP_OPTIONAL, &v[k])) return -1;
  c->caps.sinks = v[0];
  c->caps.window = v[1];
  c->caps.causal = v[2];
  if (tok_int(lx, 11, "max_seqlen_q", 0, INT32_MAX, &c->caps.max_seqlen_q) ||
      tok_int(lx, 12, "gqa_exact", 0, INT32_MAX, &c->caps.gqa_exact))
    return -1;
  return 0;
}

static int same_static(const attnroute_class *a, const attnroute_class *b) {
  return a->head_dim == b->head_dim && a->q_dtype == b->q_dtype && a->kv_dtype == b->kv_dtype &&
         a->has_sinks == b->has_sinks && a->sliding_window == b->sliding_window &&
         a->kv_block_size == b->kv_block_size && a->causal == b->causal;
}

static int parse_class(lexer *lx, ar_text_table *out, int32_t ci) {
  attnroute_class *c = &out->classes[ci];
  int32_t f[9], nnodes, a, i;
  int64_t ncells = 1, cell;
  int32_t at[ATTNROUTE_NUM_AXES];
  uint8_t *cells;
  attnroute_tree_node *nodes = NULL;
  if (expect(lx, "class", 11)) return -1;
  if (tok_int(lx, 1, "head_dim", 1, INT32_MAX, &f[0]) ||
      tok_int(lx, 2, "q_dtype", 0, ATTNROUTE_NUM_DTYPES - 1, &f[1]) ||
      tok_int(lx, 3, "kv_dtype", 0, ATTNROUTE_NUM_DTYPES - 1, &f[2]) ||
      tok_int(lx, 4, "has_sinks", 0, 1, &f[3]) ||
      tok_int(lx, 5, "sliding_window", -1, INT32_MAX, &f[4]) ||
      tok_int(lx, 6, "kv_block_size", 1, INT32_MAX, &f[5]) ||
      tok_int(lx, 7, "causal", 0, 1, &f[6]) ||
      tok_int(lx, 8, "lookup", 0, ATTNROUTE_NUM_LOOKUPS - 1, &f[7]) ||
      tok_int(lx, 9, "num_nodes", 0, INT32_MAX, &nnodes) ||
      tok_int(lx, 10, "ragged_key", 0, ATTNROUTE_NUM_RAGGED_KEYS - 1, &c->ragged_key) ||
      tok_hex(lx, 11, "edge_clamp", &c->edge_clamp))
    return -1;
  if (c->edge_clamp >> (2 * ATTNROUTE_NUM_AXES))
    return fail(lx, "edge_clamp 0x%08x: bits past the %d axes' edges", (unsigned)c->edge_clamp, ATTNROUTE_NUM_AXES);
  if (f[4] == 0) return fail(lx, "sliding_window 0: none is written -1");
  if ((f[7] == ATTNROUTE_LOOKUP_TREE) != (nnodes > 0))
    return fail(lx, "num_nodes %d does not fit lookup %d (a tree, and only a tree, has nodes)", nnodes, f[7]);
  c->head_dim = f[0];
  c->q_dtype = f[1];
  c->kv_dtype = f[2];
  c->has_sinks = f[3];
  c->sliding_window = f[4];
  c->kv_block_size = f[5];
  c->causal = f[6];
  c->lookup = f[7];
  for (i = 0; i < ci; i++)
    if (same_static(&out->classes[i], c)) return fail(lx, "class %d has the static features of class %d", ci, i);

  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    int32_t len, *vals;
    if (next_line(lx, 1, "axis")) return -1;
    if (!tok_is(lx, 0, "axis") || lx->ntok < 3 || !tok_is(lx, 1, axis_names[a]))
      return fail(lx, "expected 'axis %s LEN VALUES...'", axis_names[a]);
    if (tok_int(lx, 2, "axis length", 1, MAX_AXIS_LEN, &len)) return -1;
    if (lx->ntok != 3 + len) return fail(lx, "axis %s: %d values announced, %d given", axis_names[a], len, lx->ntok - 3);
    vals = malloc((size_t)len * sizeof *vals);
    if (!vals) return fail(lx, "out of memory");
    c->axis_values[a] = vals;
    c->axis_len[a] = len;
    for (i = 0; i < len; i++) {
      if (tok_int(lx, 3 + i, "axis value", 0, INT32_MAX, &vals[i])) return -1;
      if (i > 0 && vals[i] <= vals[i - 1]) return fail(lx, "axis %s: values not strictly ascending", axis_names[a]);
    }
    ncells *= len;
    if (ncells > MAX_CELLS) return fail(lx, "more than %lld cells in a class", (long long)MAX_CELLS);
  }
  if (ncells > lines_left(lx)) return fail(lx, "%lld cells announced, the file has %ld more lines", (long long)ncells, lines_left(lx));
  cells = malloc((size_t)ncells * ATTNROUTE_TOPK);
  if (!cells) return fail(lx, "out of memory");
  c->cells = cells;
  memset(at, 0, sizeof at);
  for (cell = 0; cell < ncells; cell++) {
    if (expect(lx, "cell", ATTNROUTE_NUM_AXES + ATTNROUTE_TOPK)) return -1;
    for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
      int32_t v;
      if (tok_int(lx, 1 + a, axis_names[a], 0, INT32_MAX, &v)) return -1;
      if (v != c->axis_values[a][at[a]])
        return fail(lx, "cell %lld: %s=%d, expected %d (cells are row-major, num_seqs slowest)", (long long)cell,
                    axis_names[a], v, c->axis_values[a][at[a]]);
    }
    if (tok_slots(lx, 1 + ATTNROUTE_NUM_AXES, out->table.num_candidates, cells + cell * ATTNROUTE_TOPK)) return -1;
    for (a = ATTNROUTE_NUM_AXES - 1; a >= 0; a--) {
      if (++at[a] < c->axis_len[a]) break;
      at[a] = 0;
    }
  }
  if (nnodes > lines_left(lx)) return fail(lx, "%d nodes announced, the file has %ld more lines", nnodes, lines_left(lx));
  if (nnodes > 0) {
    nodes = calloc((size_t)nnodes, sizeof *nodes);
    if (!nodes) return fail(lx, "out of memory");
    c->nodes = nodes;
    c->num_nodes = nnodes;
  }
  for (i = 0; i < nnodes; i++) {
    attnroute_tree_node *nd = &nodes[i];
    int k;
    if (expect(lx, "node", 4 + ATTNROUTE_TOPK)) return -1;
    if (tok_int(lx, 1, "node axis", -1, ATTNROUTE_NUM_AXES - 1, &nd->axis) || tok_float(lx, 2, "threshold", &nd->threshold) ||
        tok_int(lx, 3, "left", 0, INT32_MAX, &nd->left) || tok_int(lx, 4, "right", 0, INT32_MAX, &nd->right) ||
        tok_slots(lx, 5, out->table.num_candidates, nd->leaf))
      return -1;
    if (nd->axis >= 0) {
      if (nd->left <= i || nd->left >= nnodes || nd->right <= i || nd->right >= nnodes)
        return fail(lx, "node %d: children must follow it and exist (%d nodes)", i, nnodes);
      for (k = 0; k < ATTNROUTE_TOPK; k++)
        if (nd->leaf[k] != ATTNROUTE_NO_CANDIDATE) return fail(lx, "node %d: an internal node with leaf slots", i);
    } else if (nd->left != 0 || nd->right != 0 || nd->threshold != 0.0f) {
      return fail(lx, "node %d: a leaf has threshold, left and right 0", i);
    }
  }
  return 0;
}

static int parse(lexer *lx, ar_text_table *out) {
  int32_t abi, topk, n, i;
  char *s = NULL;
  uint32_t route_dims[ATTNROUTE_NUM_ROUTES] = {0};

  if (next_line(lx, 0, "the first line '" AR_TABLE_TEXT_MAGIC " 2'")) return -1;
  if (!tok_is(lx, 0, AR_TABLE_TEXT_MAGIC))
    return fail(lx, "not an attnroute table text (first line is not '" AR_TABLE_TEXT_MAGIC " 2')");
  if (lx->ntok != 2 || !tok_is(lx, 1, "2")) {
    int32_t v;
    if (lx->ntok == 2 && tok_int(lx, 1, "version", 0, INT32_MAX, &v) == 0)
      return fail(lx, "table text version %d not supported (this attnroute-eval reads %d; regenerate "
                      "with the matching attnroute_gen.py)", v, AR_TABLE_TEXT_VERSION);
    return fail(lx, "not an attnroute table text (first line is not '" AR_TABLE_TEXT_MAGIC " 2')");
  }
  if (expect(lx, "abi", 1) || tok_int(lx, 1, "abi", 0, INT32_MAX, &abi)) return -1;
  if (abi != ATTNROUTE_TABLE_ABI)
    return fail(lx, "table ABI %d, this attnroute-eval reads ABI %d; regenerate the table", abi, ATTNROUTE_TABLE_ABI);
  if (expect(lx, "topk", 1) || tok_int(lx, 1, "topk", 0, INT32_MAX, &topk)) return -1;
  if (topk != ATTNROUTE_TOPK) return fail(lx, "topk %d, this runtime has %d slots a cell", topk, ATTNROUTE_TOPK);
  out->table.abi = ATTNROUTE_TABLE_ABI;
  out->table.struct_size = (uint32_t)sizeof(attnroute_table);

  if (expect(lx, "arch", 1) || tok_str(lx, 1, "arch", &s)) return -1;
  out->table.arch = s;
  if (!s[0]) return fail(lx, "empty arch");
  if (expect(lx, "cu_count", 1) || tok_int(lx, 1, "cu_count", 0, INT32_MAX, &out->table.cu_count)) return -1;
  if (expect(lx, "device_name", 1) || tok_str(lx, 1, "device_name", &s)) return -1;
  out->table.device_name = s;
  if (expect(lx, "memory_mib", 1) || tok_int(lx, 1, "memory_mib", 0, INT32_MAX, &out->table.memory_mib)) return -1;
  if (expect(lx, "product", 1) || tok_str(lx, 1, "product", &s)) return -1;
  out->table.product = s;
  if (expect(lx, "provenance", 1) || tok_str(lx, 1, "provenance", &s)) return -1;
  out->table.provenance = s;

  if (expect(lx, "candidates", 1) || tok_int(lx, 1, "candidates", 1, ATTNROUTE_NO_CANDIDATE - 1, &n)) return -1;
  if (n > lines_left(lx)) return fail(lx, "%d candidates announced, the file has %ld more lines", n, lines_left(lx));
  out->candidates = calloc((size_t)n, sizeof *out->candidates);
  if (!out->candidates) return fail(lx, "out of memory");
  out->table.candidates = out->candidates;
  out->table.num_candidates = n;
  for (i = 0; i < n; i++) {
    int32_t j;
    if (parse_candidate(lx, &out->candidates[i], i, route_dims)) return -1;
    for (j = 0; j < i; j++)
      if (strcmp(out->candidates[j].name, out->candidates[i].name) == 0)
        return fail(lx, "candidate %d has the name of candidate %d", i, j);
  }

  if (expect(lx, "classes", 1) || tok_int(lx, 1, "classes", 0, MAX_CLASSES, &n)) return -1;
  if ((int64_t)n * 7 > lines_left(lx)) return fail(lx, "%d classes announced, the file has %ld more lines", n, lines_left(lx));
  if (n > 0) {
    out->classes = calloc((size_t)n, sizeof *out->classes);
    if (!out->classes) return fail(lx, "out of memory");
  }
  out->table.classes = out->classes;
  for (i = 0; i < n; i++) {
    out->table.num_classes = i + 1; /* so a failure frees what this class allocated */
    if (parse_class(lx, out, i)) return -1;
  }
  if (expect(lx, "end", 0)) return -1;
  if (lx->p != lx->end) {
    lx->line++;
    return fail(lx, "text after 'end'");
  }
  return 0;
}

int ar_table_text_parse(const char *text, size_t len, const char *name, ar_text_table *out, char *err,
                        size_t errlen) {
  lexer lx;
  const char *q;
  int rc;
  memset(out, 0, sizeof *out);
  memset(&lx, 0, sizeof lx);
  lx.p = text;
  lx.end = text + len;
  lx.name = name ? name : "table";
  lx.err = err;
  lx.errlen = errlen;
  if (errlen) err[0] = '\0';
  if (!text && len) return fail(&lx, "no text");
  if (len > AR_TABLE_TEXT_MAX_BYTES) return fail(&lx, "larger than %zu MiB, not a table", AR_TABLE_TEXT_MAX_BYTES >> 20);
  for (q = text; q && q < lx.end; q++) {
    q = memchr(q, '\n', (size_t)(lx.end - q));
    if (!q) break;
    lx.total_lines++;
  }
  lx.tok = malloc(MAX_TOKENS * sizeof *lx.tok);
  lx.toklen = malloc(MAX_TOKENS * sizeof *lx.toklen);
  if (!lx.tok || !lx.toklen)
    rc = fail(&lx, "out of memory");
  else
    rc = parse(&lx, out);
  free((void *)lx.tok);
  free(lx.toklen);
  if (rc) ar_table_text_free(out);
  return rc;
}

int ar_table_text_load(const char *path, ar_text_table *out, char *err, size_t errlen) {
  FILE *f;
  char *buf = NULL;
  size_t cap = 0, len = 0;
  int rc;
  memset(out, 0, sizeof *out);
  f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  for (;;) {
    size_t got;
    if (len == cap) {
      char *n;
      if (cap > AR_TABLE_TEXT_MAX_BYTES) {
        snprintf(err, errlen, "%s: larger than %zu MiB, not a table", path, AR_TABLE_TEXT_MAX_BYTES >> 20);
        free(buf);
        fclose(f);
        return -1;
      }
      cap = cap ? cap * 2 : (size_t)1 << 16;
      n = realloc(buf, cap);
      if (!n) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(buf);
        fclose(f);
        return -1;
      }
      buf = n;
    }
    got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
    free(buf);
    fclose(f);
    return -1;
  }
  fclose(f);
  rc = ar_table_text_parse(buf, len, path, out, err, errlen);
  free(buf);
  return rc;
}

void ar_table_text_free(ar_text_table *t) {
  int32_t i;
  int a;
  if (!t) return;
  for (i = 0; t->classes && i < t->table.num_classes; i++) {
    attnroute_class *c = &t->classes[i];
    for (a = 0; a < ATTNROUTE_NUM_AXES; a++) free((void *)c->axis_values[a]);
    free((void *)c->cells);
    free((void *)c->nodes);
  }
  free(t->classes);
  for (i = 0; t->candidates && i < t->table.num_candidates; i++) {
    free((void *)t->candidates[i].name);
    free((void *)t->candidates[i].code_hash);
  }
  free(t->candidates);
  free((void *)t->table.arch);
  free((void *)t->table.device_name);
  free((void *)t->table.product);
  free((void *)t->table.provenance);
  memset(t, 0, sizeof *t);
}
