/*
** tune_faults.c -- attnroute-tune-faults, the tuner with the deliberately
** faulting candidates of candidates_test.c added to the host backend's
** (test_tuner_faults.py runs it).  Same flags and job as attnroute-tune.
*/
#include <stdio.h>

#include "candidates_test.h"
#include "tune_cli.h"

int main(int argc, char **argv) {
  int n = 0;
  const ar_candidate *const *list = ar_candidates_test(&n);
  if (ar_candidates_add("host", list, n) != 0) {
    fprintf(stderr, "attnroute-tune-faults: cannot add the test candidates\n");
    return 1;
  }
  return ar_tune_cli_main(argc, argv);
}
