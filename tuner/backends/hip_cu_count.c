/*
** hip_cu_count.c -- the CU count aiter keys on and HIP's WGP count
** (hip_cu_count.h): rocminfo's output parsed the way aiter's chip_info.py
** parses it, CU_NUM first, HIP's count as the last resort.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "hip_cu_count.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ROCMINFO_MAX (8u << 20)

/* 1 when line (up to its end) is an agent header "Agent <digits>", the
** separator aiter splits rocminfo's output on (re.split(r"Agent\s*\d+")). */
static int is_agent_header(const char *line, const char *end) {
  while (line < end && (*line == ' ' || *line == '\t')) line++;
  if (end - line < 6 || strncmp(line, "Agent", 5) != 0) return 0;
  line += 5;
  while (line < end && (*line == ' ' || *line == '\t')) line++;
  return line < end && isdigit((unsigned char)*line);
}

/* The value after "key:" on line, or -1 when the line is not "key: N". */
static long key_value(const char *line, const char *end, const char *key) {
  size_t kl = strlen(key);
  while (line < end && (*line == ' ' || *line == '\t')) line++;
  if ((size_t)(end - line) < kl || strncmp(line, key, kl) != 0) return -1;
  line += kl;
  while (line < end && (*line == ' ' || *line == '\t')) line++;
  if (line >= end || *line != ':') return -1;
  line++;
  while (line < end && (*line == ' ' || *line == '\t')) line++;
  if (line >= end || !isdigit((unsigned char)*line)) return -1;
  long v = 0;
  while (line < end && isdigit((unsigned char)*line) && v < 100000000L) v = v * 10 + (*line++ - '0');
  return v;
}

static int line_has(const char *line, const char *end, const char *what) {
  size_t wl = strlen(what);
  for (const char *p = line; end - p >= (long)wl; p++)
    if (strncmp(p, what, wl) == 0) return 1;
  return 0;
}

int ar_rocminfo_gpu_cus(const char *text, int32_t *cus, int max) {
  int found = 0;
  if (!text) return 0;
  const char *p = text;
  int in_agent = 0, is_gpu = 0;
  long cu = -1;
  for (;;) {
    const char *end = strchr(p, '\n');
    int last = end == NULL;
    if (last) end = p + strlen(p);
    int header = is_agent_header(p, end);
    if (header || last) {
      if (last && in_agent) { /* the last line belongs to the agent too */
        long v = key_value(p, end, "Compute Unit");
        if (v >= 0 && cu < 0) cu = v;
        if (line_has(p, end, "Device Type") && line_has(p, end, "GPU")) is_gpu = 1;
      }
      if (in_agent && is_gpu && cu > 0) {
        if (found < max) cus[found] = (int32_t)cu;
        found++;
      }
      in_agent = header;
      is_gpu = 0;
      cu = -1;
    } else if (in_agent) {
      long v = key_value(p, end, "Compute Unit");
      if (v >= 0 && cu < 0) cu = v;
      if (line_has(p, end, "Device Type") && line_has(p, end, "GPU")) is_gpu = 1;
    }
    if (last) break;
    p = end + 1;
  }
  return found;
}

static int wgp_mode_on(const char *env) {
  if (!env || !env[0]) return 1; /* ROCclr's default on gfx10+ */
  return !(strcmp(env, "0") == 0 || strcasecmp(env, "false") == 0 || strcasecmp(env, "no") == 0 ||
           strcasecmp(env, "off") == 0);
}

int ar_amd_cu_count(const char *cu_num_env, const char *rocminfo_text, int32_t mp_count,
                    int gfx_major, const char *wgp_mode_env, ar_amd_counts *out, char *err,
                    size_t errlen) {
  memset(out, 0, sizeof *out);
  if (errlen) err[0] = '\0';
  int wgp = gfx_major >= 10 && wgp_mode_on(wgp_mode_env);
  out->wgp_count = wgp ? mp_count : 0;
  if (cu_num_env && cu_num_env[0] && strcmp(cu_num_env, "0") != 0) {
    char *e = NULL;
    errno = 0;
    long v = strtol(cu_num_env, &e, 10);
    while (e && (*e == ' ' || *e == '\t' || *e == '\n')) e++;
    if (errno || !e || *e || v < 1 || v > 1000000) {
      snprintf(err, errlen, "CU_NUM=%.40s: not a CU count (a positive integer; aiter reads it "
                            "as int($CU_NUM))", cu_num_env);
      return -1;
    }
    out->cu_count = (int32_t)v;
    snprintf(out->source, sizeof out->source, "CU_NUM");
    return 0;
  }
  int32_t cus[64];
  int n = ar_rocminfo_gpu_cus(rocminfo_text, cus, 64);
  if (n > 0) {
    int stored = n < 64 ? n : 64;
    for (int i = 1; i < stored; i++)
      if (cus[i] != cus[0]) {
        snprintf(err, errlen, "rocminfo lists GPUs with different Compute Unit counts (%d and "
                              "%d): aiter refuses that too (chip_info.py asserts they agree); "
                              "set CU_NUM to the count of the GPU tuned", cus[0], cus[i]);
        return -1;
      }
    out->cu_count = cus[0];
    snprintf(out->source, sizeof out->source, "rocminfo");
    return 0;
  }
  if (mp_count < 1) {
    snprintf(err, errlen, "no CU count: CU_NUM unset, rocminfo lists no GPU agent, and HIP's "
                          "multiProcessorCount is %d", mp_count);
    return -1;
  }
  out->cu_count = wgp ? mp_count * 2 : mp_count;
  snprintf(out->source, sizeof out->source, wgp ? "hip x2 (WGP mode)" : "hip");
  return 0;
}

static char *run_one(const char *cmd) {
  FILE *f = popen(cmd, "r");
  if (!f) return NULL;
  size_t cap = 1u << 16, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n + 1 >= cap) {
      if (cap >= ROCMINFO_MAX) break;
      char *nb = realloc(buf, cap * 2);
      if (!nb) { free(buf); buf = NULL; break; }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - 1 - n, f);
    if (got == 0) break;
    n += got;
  }
  int rc = pclose(f);
  if (!buf) return NULL;
  buf[n] = '\0';
  if (n == 0 || rc != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

char *ar_rocminfo_run(void) {
  char cmd[600];
  char *out = run_one("rocminfo 2>/dev/null");
  const char *rocm = getenv("ROCM_PATH");
  if (!out && rocm && rocm[0] && !strpbrk(rocm, "'\"`$\\\n")) {
    snprintf(cmd, sizeof cmd, "'%.500s/bin/rocminfo' 2>/dev/null", rocm);
    out = run_one(cmd);
  }
  if (!out) out = run_one("/opt/rocm/bin/rocminfo 2>/dev/null");
  return out;
}

int ar_gfx_major(const char *arch) {
  if (!arch || strncmp(arch, "gfx", 3) != 0) return 0;
  const char *v = arch + 3;
  size_t n = 0;
  while (isxdigit((unsigned char)v[n])) n++;
  if (n < 3) return 0;
  int major = 0;
  for (size_t i = 0; i + 2 < n; i++) {
    if (!isdigit((unsigned char)v[i])) return 0;
    major = major * 10 + (v[i] - '0');
  }
  return major;
}
