/*
** test_sigkill.c -- db test of the "committed as taken" invariant: a writer
** (store_writer) is killed with SIGKILL in the middle of its loop; every
** measurement it reported committed is in the db, the db passes PRAGMA
** integrity_check, and a second writer completes the set, adding exactly
** the missing measurements (resume, no duplicates).
*/
#define _XOPEN_SOURCE 700
#include "test_cases.h"
#include "test_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { TOTAL = 1000, KILL_AFTER = 100, HOLD_AT = 900 };

/* Start store_writer with its stdout on a pipe; *out reads it. */
static pid_t spawn_writer(const char *db, int hold_at, FILE **out)
{
  int fds[2];
  char total[16], hold[16];
  pid_t pid;
  snprintf(total, sizeof total, "%d", TOTAL);
  snprintf(hold, sizeof hold, "%d", hold_at);
  CHECK(pipe(fds) == 0);
  fflush(NULL);
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(test_writer_path, test_writer_path, db, total, hold, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  *out = fdopen(fds[0], "r");
  CHECK(*out != NULL);
  return pid;
}

static int64_t count(sqlite3 *db, const char *sql)
{
  return raw_int(db, sql);
}

void test_sigkill_resume(void)
{
  const char *path = scratch_path("killed.db");
  char line[256];
  FILE *out;
  pid_t pid;
  int status, seen = 0, added = -1;
  int64_t after_kill;
  sqlite3 *db;

  /* First writer: kill it once it has reported KILL_AFTER commits.  It
  ** keeps writing meanwhile; HOLD_AT only guarantees it is still alive. */
  pid = spawn_writer(path, HOLD_AT, &out);
  while (seen < KILL_AFTER && fgets(line, sizeof line, out))
    if (strncmp(line, "committed ", 10) == 0) seen++;
  CHECK(seen == KILL_AFTER);
  CHECK(kill(pid, SIGKILL) == 0);
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  while (fgets(line, sizeof line, out))
    CHECK(strncmp(line, "done", 4) != 0); /* it must not have finished */
  fclose(out);

  db = raw_open(path);
  CHECK(strcmp(raw_text(db, "PRAGMA integrity_check"), "ok") == 0);
  after_kill = count(db, "SELECT count(*) FROM measurement");
  printf("after SIGKILL: %lld measurements (>= %d reported)\n", (long long)after_kill, KILL_AFTER);
  CHECK(after_kill >= KILL_AFTER && after_kill <= HOLD_AT);
  CHECK(count(db, "SELECT count(*) FROM run WHERE ended_at IS NULL") == 1);
  raw_close(db);

  /* Second writer: resumes and completes. */
  pid = spawn_writer(path, 0, &out);
  while (fgets(line, sizeof line, out))
    if (strncmp(line, "done new=", 9) == 0) added = atoi(line + 9);
  fclose(out);
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(added == TOTAL - after_kill);

  db = raw_open(path);
  CHECK(strcmp(raw_text(db, "PRAGMA integrity_check"), "ok") == 0);
  CHECK(count(db, "SELECT count(*) FROM measurement") == TOTAL);
  CHECK(count(db, "SELECT count(*) FROM shape") == TOTAL);
  CHECK(count(db, "SELECT count(DISTINCT shape_id) FROM measurement") == TOTAL);
  CHECK(count(db, "SELECT count(*) FROM measurement WHERE run_id = 1") == after_kill);
  CHECK(count(db, "SELECT count(*) FROM measurement WHERE run_id = 2") == TOTAL - after_kill);
  CHECK(count(db, "SELECT count(*) FROM run WHERE id = 2 AND ended_at IS NOT NULL") == 1);
  CHECK(count(db, "SELECT count(*) FROM device") == 1 && count(db, "SELECT count(*) FROM candidate") == 1);
  raw_close(db);
}
