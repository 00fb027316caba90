/*
** progress.c -- progress bar / progress lines for attnroute-tune (see progress.h).
*/
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void ar_format_duration(double s, char *buf, size_t len) {
  if (s < 0 || s != s) s = 0;
  long t = (long)(s + 0.5);
  if (t >= 3600) snprintf(buf, len, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
  else if (t >= 60) snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
  else snprintf(buf, len, "%lds", t);
}

void ar_progress_init(ar_progress *p, size_t total_items, double total_work, int quiet) {
  memset(p, 0, sizeof *p);
  p->tty = isatty(STDERR_FILENO);
  p->quiet = quiet;
  p->start = p->last_print = now_s();
  p->total_items = total_items;
  p->total_work = total_work > 0 ? total_work : 1;
}

static void draw(ar_progress *p, const char *what, int final) {
  double t = now_s(), el = t - p->start;
  double frac = p->done_work / p->total_work;
  if (frac > 1) frac = 1;
  char eta[32], elapsed[32];
  ar_format_duration(frac > 0 ? el * (1 - frac) / frac : 0, eta, sizeof eta);
  ar_format_duration(el, elapsed, sizeof elapsed);
  if (p->tty) {
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r\033[K[%s] %5.1f%% %zu/%zu  ok %zu  bad %zu  %s elapsed  ETA %s  %.60s%s", bar,
            100 * frac, p->done_items, p->total_items, p->counts[0],
            p->counts[2] + p->counts[3] + p->counts[4], elapsed, eta, what ? what : "", final ? "\n" : "");
  } else {
    fprintf(stderr, "tune: %zu/%zu measurements (%.1f%% of work), ok %zu, unsupported %zu, wrong %zu, "
                    "fault %zu, timeout %zu, elapsed %s, ETA %s\n",
            p->done_items, p->total_items, 100 * frac, p->counts[0], p->counts[1], p->counts[2],
            p->counts[3], p->counts[4], elapsed, eta);
  }
  fflush(stderr);
  p->last_print = t;
}

void ar_progress_step(ar_progress *p, int status, double work, const char *what) {
  p->done_items++;
  p->done_work += work;
  if (status >= 0 && status < 5) p->counts[status]++;
  if (p->quiet) return;
  double gap = p->tty ? 0.1 : 5.0;
  if (now_s() - p->last_print >= gap) draw(p, what, 0);
}

void ar_progress_note(ar_progress *p, const char *fmt, ...) {
  va_list ap;
  if (p->tty && !p->quiet) fprintf(stderr, "\r\033[K");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

void ar_progress_finish(ar_progress *p) {
  if (!p->quiet) draw(p, "done", 1);
}
