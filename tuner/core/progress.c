/*
** progress.c -- progress bar / progress lines for attnroute-tune with an ETA
** learned from measured time (see progress.h).
*/
#include "progress.h"

#include "clock.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

void ar_format_duration(double s, char *buf, size_t len) {
  if (s < 0 || s != s) s = 0;
  if (s > 3.6e8) s = 3.6e8; /* 100000 h: keeps the text short */
  long t = (long)(s + 0.5);
  if (t >= 3600) snprintf(buf, len, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
  else if (t >= 60) snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
  else snprintf(buf, len, "%lds", t);
}

int ar_terminal_columns(int fd) {
  struct winsize ws;
  if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  const char *env = getenv("COLUMNS");
  int c = env ? atoi(env) : 0;
  return c >= 20 && c <= 1000 ? c : 80;
}

void ar_progress_init(ar_progress *p, size_t total_items, double total_est, int quiet) {
  memset(p, 0, sizeof *p);
  p->out = stderr;
  p->tty = isatty(STDERR_FILENO);
  p->columns = p->tty ? ar_terminal_columns(STDERR_FILENO) : 80;
  p->quiet = quiet;
  p->start = p->last_print = p->last_step = ar_clock_s();
  p->total_items = total_items;
  p->total_est = total_est > 0 ? total_est : 0;
}

double ar_progress_elapsed(const ar_progress *p) { return ar_clock_s() - p->start; }

double ar_progress_eta(const ar_progress *p) {
  size_t left_items = p->total_items > p->done_items ? p->total_items - p->done_items : 0;
  double left_est = p->total_est > p->done_est ? p->total_est - p->done_est : 0;
  if (left_items == 0) return 0;
  if (p->n < 1) return -1;
  /* Least squares y = a + b x once there are enough items with spread. */
  double var = p->n * p->sxx - p->sx * p->sx;
  if (p->n >= 3 && var > 1e-9 * p->n * p->sxx) {
    double b = (p->n * p->sxy - p->sx * p->sy) / var;
    double a = (p->sy - b * p->sx) / p->n;
    if (b < 0) {
      b = 0;
      a = p->sy / p->n;
    } else if (a < 0) {
      a = 0;
      b = p->sxx > 0 ? p->sxy / p->sxx : 0;
    }
    return a * (double)left_items + b * left_est;
  }
  /* Few items, or estimates without spread: the mean time per item (the
  ** prior's scale is not trusted before it is fitted). */
  return (double)left_items * p->sy / p->n;
}

void ar_progress_format(const ar_progress *p, double now, const char *what, char *buf, size_t len) {
  if (!len) return;
  double el = now - p->start, eta = ar_progress_eta(p);
  double frac = p->total_items ? (double)p->done_items / (double)p->total_items : 1;
  if (eta >= 0 && el + eta > 0) frac = el / (el + eta);
  if (frac > 1) frac = 1;
  char etas[32] = "--", elapsed[32];
  if (eta >= 0) ar_format_duration(eta, etas, sizeof etas);
  ar_format_duration(el, elapsed, sizeof elapsed);
  size_t bad = p->counts[AR_STATUS_WRONG] + p->counts[AR_STATUS_FAULT] + p->counts[AR_STATUS_TIMEOUT];
  int n;
  if (p->tty) {
    /* Counts and times first; then a bar if there is room; then the item. */
    char core[160], bar[40];
    snprintf(core, sizeof core, "%3.0f%% %zu/%zu ETA %s, %s elapsed, ok %zu bad %zu", 100 * frac, p->done_items,
             p->total_items, etas, elapsed, p->counts[AR_STATUS_OK], bad);
    int room = p->columns - 1 - (int)strlen(core), bw = room / 3 - 3;
    if (bw > 30) bw = 30;
    bar[0] = '\0';
    if (bw >= 5) {
      int fill = (int)(frac * bw);
      bar[0] = '[';
      for (int i = 0; i < bw; i++) bar[1 + i] = i < fill ? '#' : '.';
      bar[bw + 1] = ']';
      bar[bw + 2] = ' ';
      bar[bw + 3] = '\0';
    }
    n = snprintf(buf, len, "%s%s  %s", bar, core, what ? what : "");
  } else {
    n = snprintf(buf, len, "tune: %zu/%zu %.0f%% ETA %s, %s elapsed | ok %zu unsup %zu wrong %zu fault %zu timeout %zu",
                 p->done_items, p->total_items, 100 * frac, etas, elapsed, p->counts[AR_STATUS_OK],
                 p->counts[AR_STATUS_UNSUPPORTED], p->counts[AR_STATUS_WRONG], p->counts[AR_STATUS_FAULT],
                 p->counts[AR_STATUS_TIMEOUT]);
  }
  /* Fit the line: at most columns - 1 characters (the last column wraps on
  ** some terminals). */
  size_t max = p->columns > 1 ? (size_t)p->columns - 1 : 79;
  if (n > 0 && (size_t)n > max && max < len) buf[max] = '\0';
  while (n > 0 && strlen(buf) && buf[strlen(buf) - 1] == ' ') buf[strlen(buf) - 1] = '\0';
}

static void draw(ar_progress *p, double now, const char *what, int final) {
  char line[1024];
  ar_progress_format(p, now, what, line, sizeof line);
  if (p->tty) fprintf(p->out, "\r\033[K%s%s", line, final ? "\n" : "");
  else fprintf(p->out, "%s\n", line);
  fflush(p->out);
  p->last_print = now;
}

void ar_progress_step_at(ar_progress *p, double now, int status, double est, const char *what) {
  double took = now - p->last_step;
  p->last_step = now;
  p->done_items++;
  p->done_est += est;
  if (status >= 0 && status < AR_NUM_STATUS) {
    p->counts[status]++;
    if (took >= 0 && est >= 0) { /* skipped items (status -1) cost nothing: not fitted */
      p->n += 1;
      p->sx += est;
      p->sy += took;
      p->sxx += est * est;
      p->sxy += est * took;
    }
  }
  if (p->quiet) return;
  double gap = p->tty ? 0.1 : 5.0;
  if (now - p->last_print >= gap) draw(p, now, what, 0);
}

void ar_progress_step(ar_progress *p, int status, double est, const char *what) {
  ar_progress_step_at(p, ar_clock_s(), status, est, what);
}

void ar_progress_note(ar_progress *p, const char *fmt, ...) {
  va_list ap;
  if (p->tty && !p->quiet) fprintf(p->out, "\r\033[K");
  va_start(ap, fmt);
  vfprintf(p->out, fmt, ap);
  va_end(ap);
  fputc('\n', p->out);
}

void ar_progress_finish(ar_progress *p) {
  if (!p->quiet) draw(p, ar_clock_s(), "done", 1);
}

void ar_progress_sync(ar_progress *p, size_t done_items, double done_est, const size_t counts[AR_NUM_STATUS],
                      const char *what) {
  /* Each item finished since the last call is a step now: the fit then
  ** learns the wall time per estimated second of all the drivers together. */
  size_t fresh = done_items > p->done_items ? done_items - p->done_items : 0;
  double per = fresh ? (done_est - p->done_est) / (double)fresh : 0;
  size_t diff[AR_NUM_STATUS];
  for (int k = 0; k < AR_NUM_STATUS; k++) diff[k] = counts[k] > p->counts[k] ? counts[k] - p->counts[k] : 0;
  double now = ar_clock_s();
  for (size_t i = 0; i < fresh; i++) {
    int status = -1;
    for (int k = 0; k < AR_NUM_STATUS && status < 0; k++)
      if (diff[k]) {
        diff[k]--;
        status = k;
      }
    ar_progress_step_at(p, now, status, per < 0 ? 0 : per, what);
  }
}
