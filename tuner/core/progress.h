/*
** progress.h -- progress of a long tuning job: a bar with an ETA redrawn in
** place (carriage return) on a terminal, plain lines every few seconds
** otherwise.  Every line fits the terminal (its real width on a tty, 80
** columns otherwise) so nothing wraps.
**
** The ETA is learned from measured time: each item carries a prior cost
** estimate (seconds, from the plan); the time each item really took (from
** the previous item's end, so shape setup and cache flushes are in it) is
** fitted as  seconds = fixed + scale * estimate  by least squares, and the
** remaining items' estimates go through the fit.  Until three items are
** done, the mean time per item is used.
*/
#ifndef AR_PROGRESS_H
#define AR_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#include "outcome.h"

typedef struct ar_progress {
  int tty, quiet, columns;
  FILE *out;                 /* stderr */
  double start, last_print, last_step;
  double total_est, done_est; /* prior estimates (seconds) of all / done items */
  size_t total_items, done_items;
  size_t counts[AR_NUM_STATUS]; /* by ar_status */
  /* least-squares sums over done items: x = estimate, y = measured seconds */
  double n, sx, sy, sxx, sxy;
} ar_progress;

/* total_est: the plan's estimate of all items in seconds (sum of the
** estimates later passed to ar_progress_step). */
void ar_progress_init(ar_progress *p, size_t total_items, double total_est, int quiet);
/* One item done (status = ar_status, -1 = skipped) whose prior estimate was
** `est` seconds; `what` describes the next. */
void ar_progress_step(ar_progress *p, int status, double est, const char *what);
/* The same at time `now` (seconds on the monotonic clock); for tests. */
void ar_progress_step_at(ar_progress *p, double now, int status, double est, const char *what);
/* Learned seconds still to go (negative while nothing is known). */
double ar_progress_eta(const ar_progress *p);
double ar_progress_elapsed(const ar_progress *p);
/* The progress line at `now`, cut to fit p->columns - 1 characters. */
void ar_progress_format(const ar_progress *p, double now, const char *what, char *buf, size_t len);
/* Print a note (warning) without breaking the bar. */
void ar_progress_note(ar_progress *p, const char *fmt, ...);
void ar_progress_finish(ar_progress *p);
/* Catch up with totals counted elsewhere (the drivers of --devices): the
** items done so far, the sum of their estimates, their counts by status;
** each new item is a step now. */
void ar_progress_sync(ar_progress *p, size_t done_items, double done_est, const size_t counts[AR_NUM_STATUS],
                      const char *what);
/* "1h02m", "3m05s", "12s". */
void ar_format_duration(double seconds, char *buf, size_t len);
/* Columns of the terminal on fd (TIOCGWINSZ, then $COLUMNS, then 80). */
int ar_terminal_columns(int fd);

#endif /* AR_PROGRESS_H */
