/*
** progress.h -- progress of a long tuning job: a bar with an ETA redrawn in
** place on a terminal, plain timestamped lines (every few seconds) otherwise.
** Work is weighted (estimated cost per measurement), so the ETA tracks time,
** not item counts.
*/
#ifndef AR_PROGRESS_H
#define AR_PROGRESS_H

#include <stddef.h>

typedef struct ar_progress {
  int tty, quiet;
  double start, last_print;
  double total_work, done_work;
  size_t total_items, done_items;
  size_t counts[5]; /* by ar_status */
} ar_progress;

void ar_progress_init(ar_progress *p, size_t total_items, double total_work, int quiet);
/* One item done (status = ar_status) carrying `work`; `what` describes the next. */
void ar_progress_step(ar_progress *p, int status, double work, const char *what);
/* Print a note (warning) without breaking the bar. */
void ar_progress_note(ar_progress *p, const char *fmt, ...);
void ar_progress_finish(ar_progress *p);
/* "1h02m", "3m05s", "12s". */
void ar_format_duration(double seconds, char *buf, size_t len);

#endif /* AR_PROGRESS_H */
