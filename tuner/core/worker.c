/*
** worker.c -- the measuring child process and the parent's side of its
** pipe protocol (see worker.h).  Messages are fixed-size structs: both ends
** are the same binary.
*/
#define _GNU_SOURCE
#include "worker.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "kernel_path.h"

enum { REQ_SHAPE = 1, REQ_MEASURE, REQ_LOAD, REQ_QUIT };
enum { RESP_HELLO = 1, RESP_SHAPE, RESP_RESULT, RESP_LOAD };

/* A REQ_SHAPE of a ragged batch is followed by its shape.p.num_seqs
** ar_seq (shape.seqs is a pointer of the sender, meaningless here). */
typedef struct request {
  int type;
  ar_shape shape;
  uint64_t seed;
  int index;
  double best_us;
  ar_timing_policy policy;
} request;

typedef struct response {
  int type;
  int ok;
  int context_lost;
  char backend[16];
  ar_device_info dev;
  ar_result result;
  char message[512];
} response;

static int write_full(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int read_full(int fd, void *buf, size_t len) {
  char *p = buf;
  while (len) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* ---------------------------------------------------------------- child */

static void child_main(int in_fd, int out_fd, const char *backend_name, int device) {
  response resp;
  memset(&resp, 0, sizeof resp);
  resp.type = RESP_HELLO;
  ar_backend *b = NULL;
  ar_module_cache cache;
  memset(&cache, 0, sizeof cache);
  ar_loaded ref_k;
  int n = 0;
  const ar_candidate *const *cands = NULL;
  ar_device_info dev;
  memset(&dev, 0, sizeof dev);
  if (ar_backend_open_device(backend_name, device, &b, resp.message, sizeof resp.message) == 0) {
    b->ops->device_info(b, &dev);
    resp.dev = dev;
    snprintf(resp.backend, sizeof resp.backend, "%s", b->ops->name);
    ar_candidates_for_device(b->ops->name, &dev);
    cands = candidates_for_backend(b->ops->name, &n);
    const ar_candidate *ref = ar_reference_candidate(b->ops->name);
    if (ref && ar_candidate_load(b, &cache, ref, &ref_k, resp.message, sizeof resp.message))
      ; /* hello fails with the reason */
    else
      resp.ok = 1;
  }
  if (write_full(out_fd, &resp, sizeof resp) || !resp.ok) _exit(resp.ok ? 1 : 2);

  ar_shape_run run;
  int have_run = 0;
  ar_loaded *loaded = calloc((size_t)(n > 0 ? n : 1), sizeof *loaded);
  char *is_loaded = calloc((size_t)(n > 0 ? n : 1), 1);
  request req;
  while (read_full(in_fd, &req, sizeof req) == 0 && req.type != REQ_QUIT) {
    memset(&resp, 0, sizeof resp);
    if (req.type == REQ_SHAPE) {
      resp.type = RESP_SHAPE;
      if (have_run) ar_shape_teardown(b, &run);
      have_run = 0;
      ar_seq *seqs = NULL;
      if (req.shape.seqs) {
        int32_t ns = req.shape.p.num_seqs;
        seqs = ns > 0 && ns <= (1 << 20) ? malloc((size_t)ns * sizeof *seqs) : NULL;
        if (!seqs || read_full(in_fd, seqs, (size_t)ns * sizeof *seqs)) break;
        req.shape.seqs = seqs;
      }
      if (ar_shape_setup(b, &dev, &req.shape, req.seed, &ref_k, &run, &resp.context_lost,
                         resp.message, sizeof resp.message) == 0) {
        have_run = 1;
        resp.ok = 1;
      }
      free(seqs);
    } else if (req.type == REQ_LOAD) {
      resp.type = RESP_LOAD;
      if (req.index < 0 || req.index >= n || !loaded || !is_loaded)
        snprintf(resp.message, sizeof resp.message, "worker: bad candidate index");
      else if (is_loaded[req.index] ||
               ar_candidate_load(b, &cache, cands[req.index], &loaded[req.index], resp.message,
                                 sizeof resp.message) == 0)
        resp.ok = is_loaded[req.index] = 1;
    } else if (req.type == REQ_MEASURE) {
      resp.type = RESP_RESULT;
      ar_result *r = &resp.result;
      r->rel_err = -1;
      if (!have_run || req.index < 0 || req.index >= n || !loaded || !is_loaded) {
        r->status = AR_STATUS_FAULT;
        snprintf(r->message, sizeof r->message, "worker: no shape set up or bad candidate index");
      } else if (!is_loaded[req.index] &&
                 ar_candidate_load(b, &cache, cands[req.index], &loaded[req.index], r->message,
                                   sizeof r->message)) {
        r->status = AR_STATUS_FAULT;
      } else {
        is_loaded[req.index] = 1;
        ar_measure_candidate(b, &run, cands[req.index], &loaded[req.index], &req.policy, req.best_us, r);
      }
      resp.context_lost = r->context_lost;
    }
    if (write_full(out_fd, &resp, sizeof resp)) break;
    if (resp.context_lost) _exit(3); /* the device context is gone: let the parent start afresh */
  }
  _exit(0);
}

/* --------------------------------------------------------------- parent */

int ar_worker_alive(const ar_worker *w) { return w->pid > 0; }

/* Kill (if asked) and reap; describe how it ended into why. */
static void reap(ar_worker *w, int kill_it, char *why, size_t len) {
  if (w->pid <= 0) return;
  if (kill_it) kill(w->pid, SIGKILL);
  int status = 0;
  pid_t r;
  do r = waitpid(w->pid, &status, 0);
  while (r < 0 && errno == EINTR);
  w->last_signal = r == w->pid && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (why) {
    if (r == w->pid && WIFSIGNALED(status))
      snprintf(why, len, "worker killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (r == w->pid && WIFEXITED(status))
      snprintf(why, len, "worker exited with status %d", WEXITSTATUS(status));
    else
      snprintf(why, len, "worker lost");
  }
  close(w->to_fd);
  close(w->from_fd);
  w->pid = 0;
}

/* Wait for one response until timeout_s.  0 ok; -1 died; -2 timed out;
** -3 interrupted. */
static int receive(ar_worker *w, response *resp, double timeout_s) {
  double deadline = ar_clock_s() + timeout_s;
  char *p = (char *)resp;
  size_t got = 0;
  while (got < sizeof *resp) {
    if (w->interrupted && *w->interrupted) return -3;
    double left = deadline - ar_clock_s();
    if (left <= 0) return -2;
    struct pollfd pfd = {w->from_fd, POLLIN, 0};
    int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
    int pr = poll(&pfd, 1, ms);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) return -1;
    if (pr == 0) continue;
    ssize_t n = read(w->from_fd, p + got, sizeof *resp - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  return 0;
}

static int spawn(ar_worker *w, char *err, size_t errlen) {
  int to_child[2], from_child[2];
  if (pipe(to_child)) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    return -1;
  }
  if (pipe(from_child)) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    close(to_child[0]);
    close(to_child[1]);
    return -1;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, errlen, "fork: %s", strerror(errno));
    close(to_child[0]);
    close(to_child[1]);
    close(from_child[0]);
    close(from_child[1]);
    return -1;
  }
  if (pid == 0) {
    signal(SIGINT, SIG_IGN); /* the parent decides what an interrupt means */
    signal(SIGTERM, SIG_DFL); /* not the parent's flag-setting handler: die */
    signal(SIGPIPE, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(to_child[1]);
    close(from_child[0]);
    child_main(to_child[0], from_child[1], w->requested, w->device);
    _exit(0);
  }
  close(to_child[0]);
  close(from_child[1]);
  w->pid = pid;
  w->to_fd = to_child[1];
  w->from_fd = from_child[0];
  response hello;
  int r = receive(w, &hello, 300);
  if (r != 0 || hello.type != RESP_HELLO || !hello.ok) {
    char why[256] = "";
    reap(w, 1, why, sizeof why);
    if (r == 0) snprintf(err, errlen, "%s", hello.message);
    else if (r == -3) snprintf(err, errlen, "interrupted");
    else snprintf(err, errlen, "backend '%s' did not start: %s", w->requested, r == -2 ? "timed out" : why);
    return -1;
  }
  snprintf(w->backend, sizeof w->backend, "%s", hello.backend);
  snprintf(w->note, sizeof w->note, "%s", hello.message);
  w->dev = hello.dev;
  return 0;
}

int ar_worker_start(ar_worker *w, const char *backend, const volatile int *interrupted, char *err,
                    size_t errlen) {
  return ar_worker_start_on(w, backend, 0, interrupted, err, errlen);
}

int ar_worker_start_on(ar_worker *w, const char *backend, int device, const volatile int *interrupted,
                       char *err, size_t errlen) {
  memset(w, 0, sizeof *w);
  w->device = device;
  snprintf(w->requested, sizeof w->requested, "%s", backend);
  w->interrupted = interrupted;
  signal(SIGPIPE, SIG_IGN);
  return spawn(w, err, errlen);
}

/* Restart a dead worker on the backend that opened the first time. */
static int ensure_alive(ar_worker *w, char *err, size_t errlen) {
  if (w->pid > 0) return 0;
  snprintf(w->requested, sizeof w->requested, "%s", w->backend);
  w->restarts++;
  return spawn(w, err, errlen);
}

static int send_request(ar_worker *w, const request *req, char *why, size_t len) {
  if (write_full(w->to_fd, req, sizeof *req) == 0) return 0;
  reap(w, 1, why, len);
  return -1;
}

static int send_bytes(ar_worker *w, const void *buf, size_t len, char *why, size_t whylen) {
  if (write_full(w->to_fd, buf, len) == 0) return 0;
  reap(w, 1, why, whylen);
  return -1;
}

int ar_worker_setup_shape(ar_worker *w, const ar_shape *s, uint64_t seed, double timeout_s, char *err,
                          size_t errlen) {
  if (ensure_alive(w, err, errlen)) return -1;
  request req;
  memset(&req, 0, sizeof req);
  req.type = REQ_SHAPE;
  req.shape = *s;
  req.seed = seed;
  char why[256] = "";
  if (send_request(w, &req, why, sizeof why) ||
      (s->seqs && send_bytes(w, s->seqs, (size_t)s->p.num_seqs * sizeof *s->seqs, why, sizeof why))) {
    snprintf(err, errlen, "setting up the shape: %s", why);
    return -1;
  }
  response resp;
  int r = receive(w, &resp, timeout_s);
  if (r == 0 && resp.type == RESP_SHAPE) {
    if (resp.ok) return 0;
    snprintf(err, errlen, "%s", resp.message);
    if (resp.context_lost) reap(w, 0, NULL, 0);
    return -1;
  }
  reap(w, 1, why, sizeof why);
  snprintf(err, errlen, "setting up the shape (inputs + reference): %s",
           r == -2 ? "timed out" : r == -3 ? "interrupted" : why);
  return -1;
}

/* Signals a candidate's code does not raise by faulting: someone (or the
** OOM killer) ended the worker. */
static int killed_from_outside(int sig) {
  return sig == SIGKILL || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
}

int ar_worker_measure(ar_worker *w, int index, const ar_timing_policy *t, double best_us, double timeout_s,
                      ar_result *out) {
  memset(out, 0, sizeof *out);
  out->rel_err = -1;
  if (w->pid <= 0) {
    out->status = AR_STATUS_FAULT;
    snprintf(out->message, sizeof out->message, "worker not running");
    return 0;
  }
  request req;
  memset(&req, 0, sizeof req);
  req.type = REQ_MEASURE;
  req.index = index;
  req.best_us = best_us;
  req.policy = *t;
  char why[256] = "";
  response resp;
  if (send_request(w, &req, why, sizeof why)) {
    /* The worker was gone before this candidate ran: not its result. */
    out->status = AR_STATUS_FAULT;
    snprintf(out->message, sizeof out->message, "worker gone before the measurement: %.200s", why);
    return AR_WORKER_KILLED;
  }
  int r = receive(w, &resp, timeout_s);
  if (r == 0 && resp.type == RESP_RESULT) {
    *out = resp.result;
    if (resp.context_lost) reap(w, 0, NULL, 0);
    return 0;
  }
  if (r == -3) {
    reap(w, 1, NULL, 0);
    return -1;
  }
  if (r == -2) {
    reap(w, 1, NULL, 0);
    out->status = AR_STATUS_TIMEOUT;
    snprintf(out->message, sizeof out->message, "no result within %.0f s; worker killed", timeout_s);
    return 0;
  }
  if (w->pid > 0) reap(w, 0, why, sizeof why);
  out->status = AR_STATUS_FAULT;
  snprintf(out->message, sizeof out->message, "%s", why[0] ? why : "worker lost");
  return killed_from_outside(w->last_signal) ? AR_WORKER_KILLED : 0;
}

int ar_worker_load(ar_worker *w, int index, char *err, size_t errlen) {
  if (ensure_alive(w, err, errlen)) return -1;
  request req;
  memset(&req, 0, sizeof req);
  req.type = REQ_LOAD;
  req.index = index;
  char why[256] = "";
  response resp;
  int r = send_request(w, &req, why, sizeof why) ? -1 : receive(w, &resp, 120);
  if (r == 0 && resp.type == RESP_LOAD) {
    if (resp.ok) return 0;
    snprintf(err, errlen, "%s", resp.message);
    return -1;
  }
  if (w->pid > 0) reap(w, r != -1, why, sizeof why);
  snprintf(err, errlen, "loading: %s", r == -2 ? "timed out" : r == -3 ? "interrupted" : why);
  return -1;
}

void ar_worker_stop(ar_worker *w) {
  if (w->pid <= 0) return;
  request req;
  memset(&req, 0, sizeof req);
  req.type = REQ_QUIT;
  if (write_full(w->to_fd, &req, sizeof req) == 0) {
    response ignored;
    (void)receive(w, &ignored, 5); /* EOF once it exits */
  }
  reap(w, 1, NULL, 0);
}
