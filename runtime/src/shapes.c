/*
** shapes.c -- misses as tuner input: a problem written as a line of an
** attnroute-tune --shapes file, and the miss hook that keeps each distinct
** missed shape once in caller-owned storage.  No allocation, no I/O, no
** libc formatting (integers are written by hand).
**
** A ragged problem (ragged totals that no uniform batch has) is written as
** a ragged shape, `seqs=sq:ctx,...`: the hook knows the batch's maxima and
** totals only, so the line holds a batch with exactly those (num_seqs, max
** sq, max ctx, total q, total k): one sequence at both maxima, the others
** sharing the remaining tokens evenly (see ragged_form).
*/
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

/* The fields of a shape line, normalised: booleans as 0/1, no window as -1,
** seqlen_q = max_seqlen_q and cached = max_seqlen_k - max_seqlen_q. */
enum {
  KEY_HEAD_DIM,
  KEY_SINKS,
  KEY_WINDOW,
  KEY_BLOCK,
  KEY_DTYPE,
  KEY_KV_DTYPE,
  KEY_CAUSAL,
  KEY_NUM_SEQS,
  KEY_SEQLEN_Q,
  KEY_CACHED,
  KEY_Q_HEADS,
  KEY_KV_HEADS,
  NUM_LINE_KEYS, /* the keys above are written key=value; the totals below are
                    not (a ragged line lists its sequences instead) */
  KEY_TOTAL_Q = NUM_LINE_KEYS,
  KEY_TOTAL_K,
  NUM_KEYS
};

static const char *const key_names[NUM_LINE_KEYS] = {
    "head_dim", "sinks",    "window",  "block",    "dtype",   "kv_dtype",
    "causal",   "num_seqs", "seqlen_q", "cached", "q_heads", "kv_heads"};

/*
** The totals of the ragged batch written for p, or 0 when p is written as a
** uniform batch: every total unknown (0) or num_seqs x the max, or totals
** no batch has (some sequence holds the longest context, so total_k -
** max_seqlen_k >= total_q - max_seqlen_q; attnroute_problem_check allows
** less).  An unknown total is taken as num_seqs x its max.
*/
static int ragged_form(const attnroute_problem *p, int32_t *tq, int32_t *tk) {
  const int64_t n = p->num_seqs, uq = n * p->max_seqlen_q, uk = n * p->max_seqlen_k;
  const int64_t q = p->total_seqlen_q > 0 ? p->total_seqlen_q : uq;
  const int64_t k = p->total_seqlen_k > 0 ? p->total_seqlen_k : uk;
  if (n < 2 || (q == uq && k == uk)) return 0;
  if (q > INT32_MAX || k > INT32_MAX) return 0;
  if (k - p->max_seqlen_k < q - p->max_seqlen_q) return 0;
  *tq = (int32_t)q;
  *tk = (int32_t)k;
  return 1;
}

/* p's shape key (p checked: dtypes known, sk >= sq, totals in range). */
static void shape_key(const attnroute_problem *p, int32_t k[NUM_KEYS]) {
  k[KEY_HEAD_DIM] = p->head_dim;
  k[KEY_SINKS] = p->has_sinks != 0;
  k[KEY_WINDOW] = ATTNROUTE__HAS_WINDOW(p->sliding_window) ? p->sliding_window : -1;
  k[KEY_BLOCK] = p->kv_block_size;
  k[KEY_DTYPE] = p->q_dtype;
  k[KEY_KV_DTYPE] = p->kv_dtype;
  k[KEY_CAUSAL] = p->causal != 0;
  k[KEY_NUM_SEQS] = p->num_seqs;
  k[KEY_SEQLEN_Q] = p->max_seqlen_q;
  k[KEY_CACHED] = p->max_seqlen_k - p->max_seqlen_q;
  k[KEY_Q_HEADS] = p->num_q_heads;
  k[KEY_KV_HEADS] = p->num_kv_heads;
  if (!ragged_form(p, &k[KEY_TOTAL_Q], &k[KEY_TOTAL_K])) k[KEY_TOTAL_Q] = k[KEY_TOTAL_K] = 0;
}

/* Appends text to buf (capacity size) at *len, keeping a NUL in bounds;
** *len counts every character, written or not. */
static void put_str(char *buf, size_t size, size_t *len, const char *text) {
  for (; *text; text++, (*len)++)
    if (*len + 1 < size) buf[*len] = *text;
}

static void put_int(char *buf, size_t size, size_t *len, int32_t v) {
  char digits[12];
  int n = 0;
  uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
  do {
    digits[n++] = (char)('0' + u % 10u);
    u /= 10u;
  } while (u);
  if (v < 0) digits[n++] = '-';
  while (n > 0) {
    char one[2];
    one[0] = digits[--n];
    one[1] = 0;
    put_str(buf, size, len, one);
  }
}

static void put_key(char *buf, size_t size, size_t *len, const int32_t k[NUM_KEYS], int i) {
  if (*len) put_str(buf, size, len, " ");
  put_str(buf, size, len, key_names[i]);
  put_str(buf, size, len, "=");
  if (i == KEY_DTYPE || i == KEY_KV_DTYPE)
    put_str(buf, size, len, attnroute_dtype_name(k[i]));
  else
    put_int(buf, size, len, k[i]);
}

/*
** The sequences of the ragged batch with num_seqs n, maxima (sq, ctx) and
** totals (tq, tk): sequence 0 is (sq, ctx); the n - 1 others share tq - sq
** and tk - ctx evenly, the first ones one token more where they do not
** divide.  Each is a sequence (1 <= its sq <= its ctx): the even shares of
** q are at least 1 (tq >= sq + n - 1), and a share of k is never below the
** share of q at the same place (tk - ctx >= tq - sq: ragged_form).
*/
static void put_seqs(char *buf, size_t size, size_t *len, const attnroute_problem *p,
                     int32_t tq, int32_t tk) {
  const int32_t n = p->num_seqs, m = n - 1;
  const int32_t rest_q = tq - p->max_seqlen_q, rest_k = tk - p->max_seqlen_k;
  int32_t i;
  put_str(buf, size, len, " seqs=");
  put_int(buf, size, len, p->max_seqlen_q);
  put_str(buf, size, len, ":");
  put_int(buf, size, len, p->max_seqlen_k);
  for (i = 0; i < m; i++) {
    put_str(buf, size, len, ",");
    put_int(buf, size, len, rest_q / m + (i < rest_q % m ? 1 : 0));
    put_str(buf, size, len, ":");
    put_int(buf, size, len, rest_k / m + (i < rest_k % m ? 1 : 0));
  }
}

/*
** p as a --shapes line (see attnroute.h).  Returns the full length, or -1.
*/
int attnroute_problem_shape_line(const attnroute_problem *p, char *buf, size_t size) {
  int32_t k[NUM_KEYS];
  size_t len = 0;
  int i;
  if (attnroute_problem_check(p) != ATTNROUTE_OK) return -1;
  if (!buf) size = 0;
  shape_key(p, k);
  if (k[KEY_TOTAL_K] == 0) {
    for (i = 0; i < NUM_LINE_KEYS; i++) put_key(buf, size, &len, k, i);
  } else { /* ragged: the static keys and heads, then the sequences */
    for (i = 0; i < NUM_LINE_KEYS; i++)
      if (i != KEY_NUM_SEQS && i != KEY_SEQLEN_Q && i != KEY_CACHED) put_key(buf, size, &len, k, i);
    put_seqs(buf, size, &len, p, k[KEY_TOTAL_Q], k[KEY_TOTAL_K]);
  }
  if (size > 0) buf[len < size ? len : size - 1] = 0;
  return (int)len;
}

/*
** Empties set and points it at `capacity` zeroed entries.
*/
void attnroute_miss_set_init(attnroute_miss_set *set, attnroute_miss_entry *entries,
                             uint32_t capacity) {
  if (!set) return;
  if (!entries) capacity = 0;
  if (capacity) memset(entries, 0, (size_t)capacity * sizeof *entries);
  set->entries = entries;
  set->capacity = capacity;
  set->count = 0;
  set->total = 0;
  set->dropped = 0;
  set->invalid = 0;
}

/* FNV-1a over the key's bytes, little-endian by construction. */
static uint32_t key_hash(const int32_t k[NUM_KEYS]) {
  uint32_t h = 2166136261u;
  int i, b;
  for (i = 0; i < NUM_KEYS; i++)
    for (b = 0; b < 4; b++) {
      h ^= ((uint32_t)k[i] >> (8 * b)) & 0xffu;
      h *= 16777619u;
    }
  return h;
}

/*
** An attnroute_miss_fn over an attnroute_miss_set (user).  Counts the miss
** in `total`; an invalid problem only in `invalid`; a shape already held
** gets its count raised (saturating); a new shape takes a free slot, or is
** counted in `dropped` when the set is full.  Open addressing with linear
** probing: a full set is probed once around, then given up on.
*/
void attnroute_miss_shapes(void *user, const attnroute_problem *problem,
                           const attnroute_choice *choice) {
  attnroute_miss_set *set = (attnroute_miss_set *)user;
  int32_t key[NUM_KEYS], held[NUM_KEYS];
  uint32_t slot, n;
  if (!set) return;
  set->total++;
  if (attnroute_problem_check(problem) != ATTNROUTE_OK) {
    set->invalid++;
    return;
  }
  if (!set->entries || set->capacity == 0) {
    set->dropped++;
    return;
  }
  shape_key(problem, key);
  slot = key_hash(key) % set->capacity;
  for (n = 0; n < set->capacity; n++, slot = (slot + 1 == set->capacity) ? 0 : slot + 1) {
    attnroute_miss_entry *e = &set->entries[slot];
    if (e->count == 0) {
      if (set->count >= set->capacity) break;
      e->problem = *problem;
      e->reason = choice ? choice->reason : ATTNROUTE_NO_TABLE;
      e->count = 1;
      set->count++;
      return;
    }
    shape_key(&e->problem, held);
    if (memcmp(held, key, sizeof key) == 0) {
      if (e->count < UINT32_MAX) e->count++;
      return;
    }
  }
  set->dropped++;
}
