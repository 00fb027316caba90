/*
** candidates_test.h -- the deliberately faulting host candidates
** (candidates_test.c): test.fault (SIGSEGV), test.hang (never returns),
** test.wrong (ones everywhere), test.unwritten (output left NaN).
*/
#ifndef AR_CANDIDATES_TEST_H
#define AR_CANDIDATES_TEST_H

#include "candidate.h"

/* The four test candidates; *count set. */
const ar_candidate *const *ar_candidates_test(int *count);

#endif /* AR_CANDIDATES_TEST_H */
