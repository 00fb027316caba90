/*
** test_main.c -- runs one db test case by name:
**   test_store CASE SCRATCH_DIR STORE_WRITER SCHEMA_SQL
** Each case works in a fresh directory under SCRATCH_DIR, removed when the
** case passes.  Exit status 0 = pass.
*/
#include "test_cases.h"
#include "test_util.h"

#include <stdio.h>
#include <string.h>

const char *test_writer_path;
const char *test_schema_path;

static const struct {
  const char *name;
  void (*fn)(void);
} cases[] = {
#define DB_TEST_ENTRY(name) { #name, test_##name },
  DB_TEST_CASES(DB_TEST_ENTRY)
#undef DB_TEST_ENTRY
};

int main(int argc, char **argv)
{
  if (argc != 5) {
    fprintf(stderr, "usage: %s CASE SCRATCH_DIR STORE_WRITER SCHEMA_SQL\n", argv[0]);
    return 2;
  }
  test_writer_path = argv[3];
  test_schema_path = argv[4];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (strcmp(argv[1], cases[i].name) != 0) continue;
    scratch_make(argv[2], cases[i].name);
    cases[i].fn();
    scratch_remove();
    printf("db.%s: ok\n", cases[i].name);
    return 0;
  }
  fprintf(stderr, "unknown case %s\n", argv[1]);
  return 2;
}
