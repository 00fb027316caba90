/*
** tests/check.h -- the checks of the C tests that keep going: each failed
** check is counted in check_failures and reported with file, line and
** condition (the first 40), and the test goes on to its next check;
** check_finish(name) reports and turns the count into the exit status.
**   CHECK(cond)               CHECK_MSG(cond, fmt, ...)
**   CHECK_EQ(a, b)  integers  CHECK_STR(a, b)  strings (NULL never equal)
** Header only; a test program of several files shares one count.  (The db
** and host-kernel tests stop at their first failure instead: their later
** steps need the earlier ones; see tests/db/test_util.h and
** tests/tuner/test_host_util.h.)
*/
#ifndef ATTNROUTE_TESTS_CHECK_H
#define ATTNROUTE_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static inline long *check__count(void) {
  static long n = 0;
  return &n;
}
#define check_failures (*check__count())

#define CHECK__FAIL(what, cond) \
  (++check_failures <= 40 ? fprintf(stderr, "%s:%d: %s failed: %s", __FILE__, __LINE__, what, cond) : 0)

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond) && CHECK__FAIL("CHECK", #cond) > 0) fputc('\n', stderr);             \
  } while (0)

#define CHECK_MSG(cond, ...)                                                         \
  do {                                                                               \
    if (!(cond) && CHECK__FAIL("CHECK", #cond) > 0) {                                \
      fputs(": ", stderr);                                                           \
      fprintf(stderr, __VA_ARGS__);                                                  \
      fputc('\n', stderr);                                                           \
    }                                                                                \
  } while (0)

#define CHECK_EQ(a, b)                                                               \
  do {                                                                               \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);                  \
    if (check_a_ != check_b_ && CHECK__FAIL("CHECK_EQ", #a " == " #b) > 0)           \
      fprintf(stderr, " (%lld vs %lld)\n", check_a_, check_b_);                      \
  } while (0)

#define CHECK_STR(a, b)                                                              \
  do {                                                                               \
    const char *check_a_ = (a), *check_b_ = (b);                                     \
    if ((!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) &&               \
        CHECK__FAIL("CHECK_STR", #a " == " #b) > 0)                                  \
      fprintf(stderr, " (\"%s\", expected \"%s\")\n", check_a_ ? check_a_ : "(null)", \
              check_b_ ? check_b_ : "(null)");                                       \
  } while (0)

/* Report and turn the failure count into an exit status (0 or 1). */
static inline int check_finish(const char *test) {
  if (check_failures) {
    fprintf(stderr, "%s: %ld check(s) failed\n", test, check_failures);
    return 1;
  }
  printf("%s: ok\n", test);
  return 0;
}

#endif /* ATTNROUTE_TESTS_CHECK_H */
