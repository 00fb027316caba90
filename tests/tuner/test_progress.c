/*
** test_progress.c -- the tuner's progress line on synthetic clocks (no real
** timing): the ETA is learned from measured time (a fixed cost per item,
** such as a cache flush, that the prior estimate leaves out is learned
** too), and every line fits the terminal width it is drawn for.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "progress.h"

/* Items whose prior estimate is est(i) and which really take
** fixed + scale * est(i) seconds; returns the true time still to go after
** `done` items. */
static double est_of(int i) { return 0.001 * (1 + (i * 37) % 11); }

static void learned_eta(double fixed, double scale) {
  enum { N = 120 };
  ar_progress p;
  double total = 0;
  for (int i = 0; i < N; i++) total += est_of(i);
  ar_progress_init(&p, N, total, 1);
  p.start = p.last_step = 1000;
  CHECK_MSG(ar_progress_eta(&p) < 0, "ETA known before any item: %g", ar_progress_eta(&p));
  double t = 1000;
  for (int i = 0; i < N; i++) {
    t += fixed + scale * est_of(i);
    ar_progress_step_at(&p, t, 0, est_of(i), "x");
    if (i >= 10) {
      double left = 0;
      for (int k = i + 1; k < N; k++) left += fixed + scale * est_of(k);
      double eta = ar_progress_eta(&p);
      CHECK_MSG(fabs(eta - left) <= 1e-6 * (1 + left), "fixed %g scale %g after %d items: ETA %.9g, true %.9g", fixed,
            scale, i + 1, eta, left);
    }
  }
  CHECK_MSG(ar_progress_eta(&p) == 0, "ETA at the end: %g", ar_progress_eta(&p));
}

/* The case: the prior counts kernel work only, and a cache flush
** of 50 ms per item dominates: after a few items the ETA must be within a
** factor of 1.5 of the truth, not hours off. */
static void flush_dominated(void) {
  enum { N = 120 };
  ar_progress p;
  double total = 0;
  for (int i = 0; i < N; i++) total += 1e-5 * (i + 1);
  ar_progress_init(&p, N, total, 1);
  p.start = p.last_step = 0;
  double t = 0;
  for (int i = 0; i < N - 1; i++) {
    t += 0.05 + 1e-5 * (i + 1);
    ar_progress_step_at(&p, t, 0, 1e-5 * (i + 1), "x");
    if (i >= 2) {
      double left = 0;
      for (int k = i + 1; k < N; k++) left += 0.05 + 1e-5 * (k + 1);
      double eta = ar_progress_eta(&p);
      CHECK_MSG(eta > left / 1.5 && eta < left * 1.5, "after %d items: ETA %g, true %g", i + 1, eta, left);
    }
  }
}

/* Skipped items (status -1) take no time and are not fitted. */
static void skipped_not_fitted(void) {
  ar_progress p;
  ar_progress_init(&p, 20, 20, 1);
  p.start = p.last_step = 0;
  double t = 0;
  for (int i = 0; i < 10; i++) {
    t += 2;
    ar_progress_step_at(&p, t, 0, 1, "x");
  }
  for (int i = 0; i < 5; i++) ar_progress_step_at(&p, t, -1, 1, "x");
  CHECK_MSG(fabs(ar_progress_eta(&p) - 10) < 1e-9, "5 items of 2 s left: ETA %g", ar_progress_eta(&p));
}

static void fits(int tty, int columns) {
  ar_progress p;
  ar_progress_init(&p, 123456, 1e6, 1);
  p.tty = tty;
  p.columns = columns;
  p.start = p.last_step = 0;
  for (int i = 0; i < 100; i++) ar_progress_step_at(&p, i * 3.7, i % 5, 1, "x");
  char what[400], line[1024];
  memset(what, 'w', sizeof what - 1);
  what[sizeof what - 1] = '\0';
  ar_progress_format(&p, 1e5, what, line, sizeof line);
  CHECK_MSG((int)strlen(line) <= columns - 1, "tty %d, %d columns: a line of %zu: %s", tty, columns, strlen(line), line);
  CHECK_MSG(strchr(line, '\n') == NULL && strchr(line, '\r') == NULL, "line breaks in the line: %s", line);
  CHECK_MSG(strstr(line, "ETA ") != NULL, "tty %d, %d columns: no ETA in %s", tty, columns, line);
  if (tty && columns >= 120) {
    ar_progress_format(&p, 1e5, "dense_sink.gather.host_q1_bk16 d64 n4", line, sizeof line);
    CHECK_MSG(strstr(line, "dense_sink.gather.host_q1_bk16 d64 n4") != NULL, "%d columns: the item is cut: %s", columns,
          line);
  }
}

int main(void) {
  learned_eta(0.05, 3.0);
  learned_eta(0, 1.0);
  learned_eta(0.2, 0);
  flush_dominated();
  skipped_not_fitted();
  for (int tty = 0; tty <= 1; tty++) {
    fits(tty, 80);
    fits(tty, 40);
    fits(tty, 160);
    fits(tty, 200);
  }
  char d[32];
  ar_format_duration(3 * 3600 + 125, d, sizeof d);
  CHECK_MSG(strcmp(d, "3h02m") == 0, "duration: %s", d);
  if (check_failures) return 1;
  puts("ok: progress ETA learned from measured time, lines fit the terminal");
  return 0;
}
