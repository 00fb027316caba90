/*
** tests/check_msg.h -- CHECK(cond, fmt, ...) for the C tests whose checks
** say why they failed: counts failures in `failures` (the test's exit
** status comes from it) and prints file, line, condition and message for
** the first 30.  Include it once, from a test's .c file.
*/
#ifndef ATTNROUTE_TESTS_CHECK_MSG_H
#define ATTNROUTE_TESTS_CHECK_MSG_H

#include <stdio.h>

static long failures = 0;

#define CHECK(cond, ...)                                                \
  do {                                                                  \
    if (!(cond) && ++failures <= 30) {                                  \
      fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__, #cond);   \
      fprintf(stderr, __VA_ARGS__);                                     \
      fputc('\n', stderr);                                              \
    }                                                                   \
  } while (0)

#endif /* ATTNROUTE_TESTS_CHECK_MSG_H */
