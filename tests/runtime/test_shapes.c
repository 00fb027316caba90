/*
** test_shapes.c -- misses as tuner input: attnroute_problem_shape_line
** (exact text, normalisation, snprintf-style truncation, invalid problems)
** and the attnroute_miss_shapes hook (deduplication by shape line, counts,
** first reason kept, a full set dropping new shapes, invalid problems,
** empty storage, and the hook called by attnroute_select on a refusal);
** ragged problems as ragged shapes (the batch rebuilt from the totals, the
** totals in the deduplication key, totals no batch has written uniform).
*/
#include <string.h>

#include "test_util.h"

static const char *const gptoss_line =
    "head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1 "
    "num_seqs=4 seqlen_q=2048 cached=4096 q_heads=64 kv_heads=8";

static void test_line(void) {
  attnroute_problem p = tu_gptoss();
  char buf[256], small[8];
  int n, full;
  memset(buf, 'x', sizeof buf);
  n = attnroute_problem_shape_line(&p, buf, sizeof buf);
  CHECK_STR(buf, gptoss_line);
  CHECK_EQ(n, (int)strlen(gptoss_line));

  /* Normalised: any nonzero boolean is 1, any window <= 0 is -1. */
  p.has_sinks = 7;
  p.causal = -3;
  p.sliding_window = 0;
  attnroute_problem_shape_line(&p, buf, sizeof buf);
  CHECK_STR(buf, gptoss_line);

  /* Every other field reaches the line. */
  p = tu_gptoss();
  p.head_dim = 128;
  p.has_sinks = 0;
  p.sliding_window = 128;
  p.kv_block_size = 256;
  p.q_dtype = ATTNROUTE_DTYPE_FP16;
  p.kv_dtype = ATTNROUTE_DTYPE_FP8_E4M3;
  p.causal = 0;
  p.num_seqs = 1000000;
  p.max_seqlen_q = 1;
  p.max_seqlen_k = 131072;
  p.num_q_heads = 40;
  p.num_kv_heads = 8;
  attnroute_problem_shape_line(&p, buf, sizeof buf);
  CHECK_STR(buf, "head_dim=128 sinks=0 window=128 block=256 dtype=fp16 kv_dtype=fp8_e4m3 "
                 "causal=0 num_seqs=1000000 seqlen_q=1 cached=131071 q_heads=40 kv_heads=8");
  p.q_dtype = ATTNROUTE_DTYPE_FP32;
  p.max_seqlen_k = 1;
  attnroute_problem_shape_line(&p, buf, sizeof buf);
  CHECK(strstr(buf, " dtype=fp32 ") != NULL);
  CHECK(strstr(buf, " cached=0 ") != NULL);

  /* Truncation: like snprintf. */
  p = tu_gptoss();
  full = attnroute_problem_shape_line(&p, NULL, 0);
  CHECK_EQ(full, (int)strlen(gptoss_line));
  memset(small, 'x', sizeof small);
  n = attnroute_problem_shape_line(&p, small, sizeof small);
  CHECK_EQ(n, full);
  CHECK_STR(small, "head_di");
  small[0] = 'x';
  CHECK_EQ(attnroute_problem_shape_line(&p, small, 0), full);
  CHECK_EQ(small[0], 'x');
  CHECK_EQ(attnroute_problem_shape_line(&p, small, 1), full);
  CHECK_EQ(small[0], 0);
  memset(buf, 'x', sizeof buf);
  CHECK_EQ(attnroute_problem_shape_line(&p, buf, (size_t)full), full);
  CHECK_EQ(strlen(buf), (size_t)full - 1);
  CHECK_EQ(attnroute_problem_shape_line(&p, buf, (size_t)full + 1), full);
  CHECK_STR(buf, gptoss_line);

  /* Invalid problems: -1, buffer untouched. */
  memset(buf, 'x', sizeof buf);
  CHECK_EQ(attnroute_problem_shape_line(NULL, buf, sizeof buf), -1);
  p.num_kv_heads = 3;
  CHECK_EQ(attnroute_problem_shape_line(&p, buf, sizeof buf), -1);
  p = tu_gptoss();
  p.max_seqlen_k = 10;
  CHECK_EQ(attnroute_problem_shape_line(&p, buf, sizeof buf), -1);
  p = tu_gptoss();
  p.kv_dtype = ATTNROUTE_NUM_DTYPES;
  CHECK_EQ(attnroute_problem_shape_line(&p, buf, sizeof buf), -1);
  CHECK_EQ(buf[0], 'x');
}

static attnroute_choice miss_choice(int reason) {
  attnroute_choice c;
  memset(&c, 0, sizeof c);
  c.candidate = -1;
  c.name = "legacy:triton_paged";
  c.reason = reason;
  c.route = ATTNROUTE_ROUTE_TRITON_PAGED;
  c.rank = -1;
  return c;
}

/* The entry holding p's shape, or NULL. */
static const attnroute_miss_entry *find(const attnroute_miss_set *s, const attnroute_problem *p) {
  char want[256], have[256];
  uint32_t i;
  attnroute_problem_shape_line(p, want, sizeof want);
  for (i = 0; i < s->capacity; i++) {
    if (!s->entries[i].count) continue;
    attnroute_problem_shape_line(&s->entries[i].problem, have, sizeof have);
    if (strcmp(want, have) == 0) return &s->entries[i];
  }
  return NULL;
}

static void test_set(void) {
  attnroute_miss_entry storage[4];
  attnroute_miss_set set;
  attnroute_choice out_of_domain = miss_choice(ATTNROUTE_OUT_OF_DOMAIN);
  attnroute_choice no_class = miss_choice(ATTNROUTE_NO_CLASS);
  attnroute_problem p = tu_gptoss(), q;
  const attnroute_miss_entry *e;
  int i;

  memset(storage, 0x5a, sizeof storage);
  attnroute_miss_set_init(&set, storage, 4);
  CHECK_EQ(set.count, 0);
  CHECK_EQ(set.total, 0);
  for (i = 0; i < 4; i++) CHECK_EQ(storage[i].count, 0);

  attnroute_miss_shapes(&set, &p, &out_of_domain);
  attnroute_miss_shapes(&set, &p, &no_class);
  q = p;
  q.has_sinks = 9;        /* same shape line */
  q.has_cached = 0;       /* not on the line */
  q.sliding_window = -5;  /* no window either way */
  attnroute_miss_shapes(&set, &q, &no_class);
  CHECK_EQ(set.count, 1);
  CHECK_EQ(set.total, 3);
  e = find(&set, &p);
  CHECK(e != NULL);
  if (e) {
    CHECK_EQ(e->count, 3);
    CHECK_EQ(e->reason, ATTNROUTE_OUT_OF_DOMAIN);
    CHECK_EQ(e->problem.has_sinks, 1); /* the first problem is kept */
  }

  /* Distinct shapes until full; then new shapes are dropped, held ones
  ** still counted. */
  for (i = 1; i <= 5; i++) {
    q = p;
    q.num_seqs = p.num_seqs + i;
    attnroute_miss_shapes(&set, &q, NULL);
  }
  CHECK_EQ(set.count, 4);
  CHECK_EQ(set.dropped, 2);
  CHECK_EQ(set.total, 8);
  q = p;
  q.num_seqs = p.num_seqs + 3;
  e = find(&set, &q);
  CHECK(e != NULL);
  if (e) CHECK_EQ(e->reason, ATTNROUTE_NO_TABLE); /* NULL choice */
  attnroute_miss_shapes(&set, &p, &no_class);
  e = find(&set, &p);
  CHECK(e != NULL && e->count == 4);
  CHECK_EQ(set.dropped, 2);

  /* Invalid problems are counted apart and never stored. */
  q = p;
  q.num_seqs = 0;
  attnroute_miss_shapes(&set, &q, &no_class);
  attnroute_miss_shapes(&set, NULL, &no_class);
  CHECK_EQ(set.invalid, 2);
  CHECK_EQ(set.count, 4);
  CHECK_EQ(set.total, 11);
  attnroute_miss_shapes(NULL, &p, &no_class); /* ignored */

  /* No storage: every valid miss dropped. */
  attnroute_miss_set_init(&set, NULL, 16);
  CHECK_EQ(set.capacity, 0);
  attnroute_miss_shapes(&set, &p, &no_class);
  CHECK_EQ(set.dropped, 1);
  CHECK_EQ(set.count, 0);
  attnroute_miss_set_init(NULL, storage, 4);
}

/* Through attnroute_select: a router without a table misses every call. */
static void test_hook(void) {
  attnroute_miss_entry storage[64];
  attnroute_miss_set set;
  attnroute_router r;
  attnroute_choice c;
  attnroute_problem p = tu_gptoss();
  char line[256];
  int i;
  attnroute_router_init(&r, NULL, "sm_90", 132);
  attnroute_miss_set_init(&set, storage, 64);
  r.on_miss = attnroute_miss_shapes;
  r.miss_user = &set;
  for (i = 0; i < 100; i++) {
    p.max_seqlen_k = p.max_seqlen_q + (i % 10) * 100;
    attnroute_select(&r, &p, &c);
  }
  CHECK_EQ(set.total, 100);
  CHECK_EQ(set.count, 10);
  for (i = 0; i < 64; i++) {
    if (!storage[i].count) continue;
    CHECK_EQ(storage[i].count, 10);
    CHECK_EQ(storage[i].reason, ATTNROUTE_NO_TABLE);
    CHECK(attnroute_problem_shape_line(&storage[i].problem, line, sizeof line) > 0);
    CHECK(strstr(line, "num_seqs=4 seqlen_q=2048 cached=") != NULL);
  }
}

static const char *const ragged_head =
    "head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1 "
    "q_heads=64 kv_heads=8 seqs=";

/* p's line is the ragged head followed by seqs. */
static void check_ragged(const attnroute_problem *p, const char *seqs) {
  char buf[512], want[512];
  int n;
  strcpy(want, ragged_head);
  strcat(want, seqs);
  n = attnroute_problem_shape_line(p, buf, sizeof buf);
  CHECK_STR(buf, want);
  CHECK_EQ(n, (int)strlen(want));
}

static void test_ragged(void) {
  attnroute_problem p = tu_gptoss(), q;
  attnroute_miss_entry storage[8];
  attnroute_miss_set set;
  char buf[512], small[40];
  int full;

  /* Decode: 3 sequences, the longest 9000 keys of 15000. */
  p.num_seqs = 3;
  p.max_seqlen_q = 1;
  p.max_seqlen_k = 9000;
  p.total_seqlen_q = 3;
  p.total_seqlen_k = 15000;
  check_ragged(&p, "1:9000,1:3000,1:3000");
  p.total_seqlen_q = 0; /* unknown: num_seqs x 1 */
  check_ragged(&p, "1:9000,1:3000,1:3000");
  p.total_seqlen_k = 15001; /* shares that do not divide: the first ones get one more */
  check_ragged(&p, "1:9000,1:3001,1:3000");

  /* Prefill with prefixes: every share is a sequence (sq <= ctx). */
  p = tu_gptoss();
  p.max_seqlen_q = 100;
  p.max_seqlen_k = 1000;
  p.total_seqlen_q = 200;
  p.total_seqlen_k = 1500;
  check_ragged(&p, "100:1000,34:167,33:167,33:166");
  p.total_seqlen_k = 1100; /* the others' shares of q and k are equal: no prefix */
  check_ragged(&p, "100:1000,34:34,33:33,33:33");
  p.total_seqlen_q = 103; /* smallest total q: one token each */
  p.total_seqlen_k = 1003;
  check_ragged(&p, "100:1000,1:1,1:1,1:1");

  /* Uniform totals (given or unknown), one sequence, and totals no batch
  ** has (total_k - max_k < total_q - max_q: 5 < 10): the uniform line. */
  p = tu_gptoss();
  attnroute_problem_shape_line(&p, buf, sizeof buf);
  CHECK_STR(buf, gptoss_line);
  p.total_seqlen_q = 4 * 2048;
  p.total_seqlen_k = 4 * 6144;
  attnroute_problem_shape_line(&p, buf, sizeof buf);
  CHECK_STR(buf, gptoss_line);
  q = tu_gptoss();
  q.num_seqs = 2;
  q.max_seqlen_q = 10;
  q.max_seqlen_k = 100;
  q.total_seqlen_q = 20;
  q.total_seqlen_k = 105;
  CHECK_EQ(attnroute_problem_check(&q), ATTNROUTE_OK);
  attnroute_problem_shape_line(&q, buf, sizeof buf);
  CHECK(strstr(buf, " num_seqs=2 seqlen_q=10 cached=90 ") != NULL);
  CHECK(strstr(buf, " seqs=") == NULL);

  /* Truncation of a ragged line: like snprintf. */
  p.total_seqlen_q = 2048 + 3;
  p.total_seqlen_k = 6144 + 3 * 100;
  check_ragged(&p, "2048:6144,1:100,1:100,1:100");
  full = attnroute_problem_shape_line(&p, NULL, 0);
  CHECK_EQ(full, (int)(strlen(ragged_head) + strlen("2048:6144,1:100,1:100,1:100")));
  CHECK_EQ(attnroute_problem_shape_line(&p, small, sizeof small), full);
  CHECK_EQ(strlen(small), sizeof small - 1);

  /* The totals are in the key: ragged problems with the same maxima but
  ** other totals are distinct shapes; the same totals one shape; the
  ** uniform batch of those maxima another. */
  attnroute_miss_set_init(&set, storage, 8);
  p = tu_gptoss();
  p.num_seqs = 3;
  p.max_seqlen_q = 1;
  p.max_seqlen_k = 9000;
  p.total_seqlen_k = 15000;
  attnroute_miss_shapes(&set, &p, NULL);
  q = p;
  q.total_seqlen_q = 3; /* same batch: unknown total q is num_seqs x 1 */
  attnroute_miss_shapes(&set, &q, NULL);
  CHECK_EQ(set.count, 1);
  q.total_seqlen_k = 12000;
  attnroute_miss_shapes(&set, &q, NULL);
  q.total_seqlen_k = 0;
  attnroute_miss_shapes(&set, &q, NULL);
  q.total_seqlen_k = 27000; /* = num_seqs x max: uniform, as unknown */
  attnroute_miss_shapes(&set, &q, NULL);
  CHECK_EQ(set.count, 3);
  CHECK_EQ(set.total, 5);
  CHECK(find(&set, &p) != NULL && find(&set, &p)->count == 2);
}

int main(void) {
  test_line();
  test_ragged();
  test_set();
  test_hook();
  return check_finish("test_shapes");
}
