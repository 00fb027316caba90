/*
** worker.h -- measurements run in a child process the tuner can replace.
**
** A candidate that faults (an illegal address poisons a CUDA context for
** good) or hangs must not take the tuner down.  The tuner forks a worker
** that opens the backend and runs setup/check/time requests sent over a
** pipe; the parent (which never touches the device) stores each result as
** it arrives.  When the worker dies, the measurement in flight is recorded
** as `fault` with the signal or exit status; when it exceeds its deadline it
** is killed and recorded as `timeout`; either way a fresh worker takes over.
** A worker killed by a signal a candidate cannot raise (SIGKILL, SIGTERM,
** SIGHUP, SIGQUIT: an operator, a job scheduler, the OOM killer) is not the
** candidate's fault: ar_worker_measure says so (AR_WORKER_KILLED) and the
** caller measures again or leaves it unrecorded.  The worker takes SIGTERM's
** default action (it dies); SIGINT is the parent's to act on.
*/
#ifndef AR_WORKER_H
#define AR_WORKER_H

#include <sys/types.h>

#include "measure.h"

typedef struct ar_worker {
  pid_t pid;        /* 0 when not running */
  int to_fd, from_fd;
  char requested[16];   /* backend asked for ("auto" allowed) */
  char backend[16];     /* backend that opened */
  ar_device_info dev;
  const volatile int *interrupted; /* set by the caller's SIGINT handler */
  int restarts;
  char note[512];       /* from opening the backend: for auto, what was skipped and why */
  int last_signal;  /* signal that ended the last worker, 0 if none */
  int device;           /* ordinal the backend is opened on (appended) */
} ar_worker;

/* Fork a worker and wait for it to open the backend.  0, or -1 with err. */
int ar_worker_start(ar_worker *w, const char *backend, const volatile int *interrupted, char *err,
                    size_t errlen);
/* The same on device `device` of the backend (ar_backend_open_device). */
int ar_worker_start_on(ar_worker *w, const char *backend, int device, const volatile int *interrupted,
                       char *err, size_t errlen);

/* Make inputs and the reference for s in the worker (restarting it first
** if it died).  0 when ready; -1 with err (worker may have been replaced). */
int ar_worker_setup_shape(ar_worker *w, const ar_shape *s, uint64_t seed, double timeout_s, char *err,
                          size_t errlen);

/* Check and time candidate number `index` of the backend's list on the
** shape set up last.  Always fills *out; returns -1 only when interrupted,
** AR_WORKER_KILLED when the worker was killed from outside (out->message
** says by what; the result is not the candidate's), else 0. */
#define AR_WORKER_KILLED 1
int ar_worker_measure(ar_worker *w, int index, const ar_timing_policy *t, double best_us, double timeout_s,
                      ar_result *out);

/* Load candidate number `index` (its code objects and kernels) in the
** worker; 0, or -1 with err saying what is missing. */
int ar_worker_load(ar_worker *w, int index, char *err, size_t errlen);

/* Nonzero while the worker process is alive. */
int ar_worker_alive(const ar_worker *w);

void ar_worker_stop(ar_worker *w);

#endif /* AR_WORKER_H */
