/*
** clock.h -- the monotonic clock the host code times and waits with.
*/
#ifndef AR_COMMON_CLOCK_H
#define AR_COMMON_CLOCK_H

/* Seconds on CLOCK_MONOTONIC (an arbitrary origin: only differences mean
** anything). */
double ar_clock_s(void);

#endif /* AR_COMMON_CLOCK_H */
