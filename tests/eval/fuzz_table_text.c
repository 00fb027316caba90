/*
** fuzz_table_text.c -- a deterministic fuzz of the table text parser
** (tools/eval/table_text.c): seed tables (generated files given on the
** command line) mutated many times over (bytes flipped, set to the format's
** own punctuation, ranges dropped, duplicated or swapped, numbers replaced
** by edge values, truncation).  Every parse must either succeed, and the
** table then answer attnroute_select on random problems, or fail with a
** message naming the input; ASan/UBSan builds turn any bad access into a
** failure.  Unmutated seeds must parse.  With -DAR_LIBFUZZER the same check
** is a libFuzzer target instead.
**
**     fuzz_table_text ITERATIONS SEED.txt...
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attnroute.h"
#include "table_text.h"
#include "splitmix.h"

static uint64_t rng_state = 20260601u;

static uint32_t rnd(void) { return (uint32_t)(ar_splitmix64(&rng_state) >> 16); }

static uint32_t below(uint32_t n) { return n ? rnd() % n : 0; }

/* Parse buf; on success run selects through the table.  0 when the parser
** behaved (accepted, or refused with a message naming the input). */
static int check_one(const char *buf, size_t len, long *accepted) {
  ar_text_table t;
  char err[512];
  int i;
  if (ar_table_text_parse(buf, len, "fuzz", &t, err, sizeof err) != 0) {
    if (strncmp(err, "fuzz:", 5) != 0) {
      fprintf(stderr, "refusal without the input's name: '%s'\n", err);
      return -1;
    }
    if (t.table.candidates || t.table.classes || t.table.arch) {
      fprintf(stderr, "refusal left a table behind\n");
      return -1;
    }
    return 0;
  }
  (*accepted)++;
  {
    attnroute_router r;
    if (attnroute_router_init(&r, &t.table, t.table.arch, t.table.cu_count) != ATTNROUTE_OK) {
      fprintf(stderr, "an accepted table was refused by the runtime\n");
      ar_table_text_free(&t);
      return -1;
    }
    for (i = 0; i < 64; i++) {
      attnroute_problem p;
      attnroute_choice c;
      const attnroute_class *k = t.table.num_classes ? &t.table.classes[below((uint32_t)t.table.num_classes)] : NULL;
      attnroute_problem_init(&p);
      p.num_seqs = (int32_t)below(100) + 1;
      p.max_seqlen_q = (int32_t)below(5000) + 1;
      p.max_seqlen_k = p.max_seqlen_q + (int32_t)below(40000);
      p.has_cached = p.max_seqlen_k > p.max_seqlen_q;
      p.num_kv_heads = (int32_t)below(8) + 1;
      p.num_q_heads = p.num_kv_heads * ((int32_t)below(16) + 1);
      p.head_dim = 64;
      if (k) {
        p.head_dim = k->head_dim;
        p.q_dtype = k->q_dtype;
        p.kv_dtype = k->kv_dtype;
        p.has_sinks = k->has_sinks;
        p.sliding_window = k->sliding_window;
        p.kv_block_size = k->kv_block_size;
        p.causal = k->causal;
      }
      attnroute_select(&r, &p, &c);
      if (!c.name || (c.candidate >= t.table.num_candidates)) {
        fprintf(stderr, "malformed choice\n");
        ar_table_text_free(&t);
        return -1;
      }
    }
  }
  ar_table_text_free(&t);
  if (t.table.candidates || t.table.classes) {
    fprintf(stderr, "free left pointers behind\n");
    return -1;
  }
  return 0;
}

#ifdef AR_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  long accepted = 0;
  if (check_one((const char *)data, size, &accepted)) abort();
  return 0;
}
#else

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf;
  long n;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
    fclose(f);
    return NULL;
  }
  buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* Start of the line holding offset i (buf[0..len)), and its end (past '\n'). */
static size_t line_start(const char *b, size_t i) {
  while (i > 0 && b[i - 1] != '\n') i--;
  return i;
}
static size_t line_end(const char *b, size_t len, size_t i) {
  while (i < len && b[i] != '\n') i++;
  return i < len ? i + 1 : len;
}

/* One mutation of buf (length *len, capacity cap) in place. */
static void mutate(char *b, size_t *len, size_t cap) {
  static const char punct[] = {' ', '\n', '%', '-', '#', '0', '9', 'x', '.', 'e', '\0', '\r', '\t', (char)0xff, 'A'};
  static const char *const numbers[] = {"0",          "-1",          "1",   "255",        "254",  "2147483647",
                                        "2147483648", "-2147483649", "-0",  "01",         "1e40", "nan",
                                        "inf",        "0x7fffffff", "16777217", "99999999999", "4096", "4097"};
  size_t n = *len, i, j, k;
  if (n == 0) return;
  i = below((uint32_t)n);
  switch (below(8)) {
  case 0: b[i] ^= (char)(1u << below(8)); break;
  case 1: b[i] = punct[below(sizeof punct)]; break;
  case 2: /* drop a range */
    k = below(64) + 1;
    if (k > n - i) k = n - i;
    memmove(b + i, b + i + k, n - i - k);
    *len = n - k;
    break;
  case 3: /* duplicate a line after itself */
    j = line_start(b, i);
    k = line_end(b, n, i) - j;
    if (n + k <= cap) {
      memmove(b + j + k, b + j, n - j);
      *len = n + k;
    }
    break;
  case 4: /* drop a whole line */
    j = line_start(b, i);
    k = line_end(b, n, i) - j;
    memmove(b + j, b + j + k, n - j - k);
    *len = n - k;
    break;
  case 5: { /* replace the field at i by an edge number */
    const char *s = numbers[below(sizeof numbers / sizeof numbers[0])];
    size_t sl = strlen(s), fs = i, fe = i;
    while (fs > 0 && b[fs - 1] != ' ' && b[fs - 1] != '\n') fs--;
    while (fe < n && b[fe] != ' ' && b[fe] != '\n') fe++;
    if (n - (fe - fs) + sl <= cap) {
      memmove(b + fs + sl, b + fe, n - fe);
      memcpy(b + fs, s, sl);
      *len = n - (fe - fs) + sl;
    }
    break;
  }
  case 6: /* truncate */
    *len = i;
    break;
  default: /* swap two bytes */
    j = below((uint32_t)n);
    k = (unsigned char)b[i];
    b[i] = b[j];
    b[j] = (char)k;
    break;
  }
}

int main(int argc, char **argv) {
  long iterations, it, accepted = 0, failures = 0;
  int nseeds = argc - 2, s;
  char **seeds;
  size_t *lens, maxlen = 0;
  char *buf;
  if (argc < 3 || (iterations = strtol(argv[1], NULL, 10)) <= 0) {
    fprintf(stderr, "usage: fuzz_table_text ITERATIONS SEED.txt...\n");
    return 2;
  }
  seeds = calloc((size_t)nseeds, sizeof *seeds);
  lens = calloc((size_t)nseeds, sizeof *lens);
  if (!seeds || !lens) return 1;
  for (s = 0; s < nseeds; s++) {
    long before = accepted;
    seeds[s] = read_file(argv[s + 2], &lens[s]);
    if (!seeds[s]) {
      fprintf(stderr, "cannot read %s\n", argv[s + 2]);
      return 1;
    }
    if (lens[s] > maxlen) maxlen = lens[s];
    if (check_one(seeds[s], lens[s], &accepted) || accepted != before + 1) {
      fprintf(stderr, "seed %s does not parse\n", argv[s + 2]);
      return 1;
    }
  }
  buf = malloc(maxlen * 2 + 64);
  if (!buf) return 1;
  for (it = 0; it < iterations; it++) {
    size_t len;
    int m, muts = (int)below(6) + 1;
    s = (int)below((uint32_t)nseeds);
    len = lens[s];
    memcpy(buf, seeds[s], len);
    for (m = 0; m < muts; m++) mutate(buf, &len, maxlen * 2 + 64);
    if (check_one(buf, len, &accepted)) {
      failures++;
      fprintf(stderr, "iteration %ld failed\n", it);
      if (failures > 5) break;
    }
  }
  printf("fuzz_table_text: %ld inputs, %ld accepted, %ld refused, %ld failures\n", it, accepted - nseeds,
         it - (accepted - nseeds), failures);
  for (s = 0; s < nseeds; s++) free(seeds[s]);
  free(seeds);
  free(lens);
  free(buf);
  return failures ? 1 : 0;
}
#endif
