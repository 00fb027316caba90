/*
** test_hip_cu_count.c -- the CU count aiter keys on and HIP's WGP count
** (tuner/backends/hip_cu_count.h): rocminfo output parsed as aiter's chip_info.py
** parses it (GPU agents only, CPU agents skipped), CU_NUM first, disagreeing
** GPUs refused, HIP's count doubled in WGP mode on gfx10+ as the last
** resort, arch majors; and ar_rocminfo_run through a fake rocminfo on PATH
** (argv[1]: a scratch folder).  No GPU.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hip_cu_count.h"

#include "../check.h"

/* Shaped like rocminfo's output (ROCm 6/7), trimmed. */
static const char ROCMINFO_2GPU[] =
    "ROCk module is loaded\n"
    "=====================    \n"
    "HSA System Attributes    \n"
    "=====================    \n"
    "Runtime Version:         1.18\n"
    "==========               \n"
    "HSA Agents               \n"
    "==========               \n"
    "*******                  \n"
    "Agent 1                  \n"
    "*******                  \n"
    "  Name:                    AMD EPYC 9575F 64-Core Processor\n"
    "  Device Type:             CPU                                \n"
    "  Compute Unit:            128                                \n"
    "*******                  \n"
    "Agent 2                  \n"
    "*******                  \n"
    "  Name:                    gfx1250                            \n"
    "  Marketing Name:          AMD Instinct MI450                 \n"
    "  Device Type:             GPU                                \n"
    "  Cache Info:              \n"
    "    L2:                      4096(0x1000) KB                    \n"
    "  Compute Unit:            256                                \n"
    "  SIMDs per CU:            4                                  \n"
    "*******                  \n"
    "Agent 3                  \n"
    "*******                  \n"
    "  Name:                    gfx1250                            \n"
    "  Device Type:             GPU                                \n"
    "  Compute Unit:            256                                \n"
    "  SIMDs per CU:            4";

static void parse_tests(void) {
  int32_t cus[4] = {0};
  CHECK_MSG(ar_rocminfo_gpu_cus(ROCMINFO_2GPU, cus, 4) == 2 && cus[0] == 256 && cus[1] == 256,
        "two GPUs: %d %d", cus[0], cus[1]);
  CHECK_MSG(ar_rocminfo_gpu_cus(ROCMINFO_2GPU, cus, 1) == 2, "count beyond max");
  CHECK_MSG(ar_rocminfo_gpu_cus("", cus, 4) == 0 && ar_rocminfo_gpu_cus(NULL, cus, 4) == 0, "empty");
  CHECK_MSG(ar_rocminfo_gpu_cus("Agent 1\n  Device Type: CPU\n  Compute Unit: 64\n", cus, 4) == 0,
        "CPU only");
  CHECK_MSG(ar_rocminfo_gpu_cus("Agent 1\n  Device Type: GPU\n  Compute Unit: x\n", cus, 4) == 0,
        "no number");
  CHECK_MSG(ar_rocminfo_gpu_cus("Agent 7\nDevice Type: GPU\nCompute Unit: 304\n", cus, 4) == 1 &&
            cus[0] == 304,
        "unindented: %d", cus[0]);
}

static void decide_tests(void) {
  ar_amd_counts c;
  char err[400];
  /* rocminfo: the CU count; HIP's count is the WGP count on gfx12 */
  CHECK_MSG(ar_amd_cu_count(NULL, ROCMINFO_2GPU, 128, 12, NULL, &c, err, sizeof err) == 0, "%s", err);
  CHECK_MSG(c.cu_count == 256 && c.wgp_count == 128 && strcmp(c.source, "rocminfo") == 0,
        "rocminfo: %d %d %s", c.cu_count, c.wgp_count, c.source);
  /* CU_NUM wins; "0" and "" mean unset, as aiter reads int(os.getenv("CU_NUM", "0")) */
  CHECK_MSG(ar_amd_cu_count("240", ROCMINFO_2GPU, 128, 12, NULL, &c, err, sizeof err) == 0 &&
            c.cu_count == 240 && strcmp(c.source, "CU_NUM") == 0,
        "CU_NUM: %d %s", c.cu_count, c.source);
  CHECK_MSG(ar_amd_cu_count("0", ROCMINFO_2GPU, 128, 12, NULL, &c, err, sizeof err) == 0 &&
            strcmp(c.source, "rocminfo") == 0,
        "CU_NUM=0: %s", c.source);
  CHECK_MSG(ar_amd_cu_count("", ROCMINFO_2GPU, 128, 12, NULL, &c, err, sizeof err) == 0 &&
            strcmp(c.source, "rocminfo") == 0,
        "CU_NUM empty: %s", c.source);
  CHECK_MSG(ar_amd_cu_count("25x", ROCMINFO_2GPU, 128, 12, NULL, &c, err, sizeof err) == -1 &&
            strstr(err, "CU_NUM=25x"),
        "CU_NUM=25x: %s", err);
  CHECK_MSG(ar_amd_cu_count("-4", ROCMINFO_2GPU, 128, 12, NULL, &c, err, sizeof err) == -1,
        "CU_NUM=-4 accepted");
  /* GPUs that disagree: aiter asserts; so do we */
  const char two[] = "Agent 1\nDevice Type: GPU\nCompute Unit: 256\nAgent 2\n"
                     "Device Type: GPU\nCompute Unit: 304\n";
  CHECK_MSG(ar_amd_cu_count(NULL, two, 128, 12, NULL, &c, err, sizeof err) == -1 &&
            strstr(err, "256") && strstr(err, "304") && strstr(err, "CU_NUM"),
        "disagree: %s", err);
  /* no rocminfo: HIP's count, doubled in WGP mode on gfx10+ */
  CHECK_MSG(ar_amd_cu_count(NULL, NULL, 128, 12, NULL, &c, err, sizeof err) == 0 &&
            c.cu_count == 256 && c.wgp_count == 128 && strstr(c.source, "WGP"),
        "hip x2: %d %d %s", c.cu_count, c.wgp_count, c.source);
  CHECK_MSG(ar_amd_cu_count(NULL, NULL, 256, 12, "0", &c, err, sizeof err) == 0 &&
            c.cu_count == 256 && c.wgp_count == 0 && strcmp(c.source, "hip") == 0,
        "CU mode: %d %d %s", c.cu_count, c.wgp_count, c.source);
  CHECK_MSG(ar_amd_cu_count(NULL, NULL, 304, 9, NULL, &c, err, sizeof err) == 0 &&
            c.cu_count == 304 && c.wgp_count == 0 && strcmp(c.source, "hip") == 0,
        "gfx942: %d %d %s", c.cu_count, c.wgp_count, c.source);
  CHECK_MSG(ar_amd_cu_count(NULL, "", 0, 12, NULL, &c, err, sizeof err) == -1 && strstr(err, "no CU"),
        "nothing: %s", err);
  /* arch majors */
  CHECK_MSG(ar_gfx_major("gfx1250") == 12 && ar_gfx_major("gfx942") == 9 &&
            ar_gfx_major("gfx90a") == 9 && ar_gfx_major("gfx1100") == 11 &&
            ar_gfx_major("sm_90") == 0 && ar_gfx_major("gfx") == 0 && ar_gfx_major(NULL) == 0,
        "gfx majors %d %d %d %d", ar_gfx_major("gfx1250"), ar_gfx_major("gfx942"),
        ar_gfx_major("gfx90a"), ar_gfx_major("gfx1100"));
}

/* A fake rocminfo first on PATH: the real process path, end to end. */
static void run_tests(const char *dir) {
  char path[1024], bin[1100];
  mkdir(dir, 0755);
  snprintf(bin, sizeof bin, "%s/rocminfo", dir);
  FILE *f = fopen(bin, "w");
  CHECK_MSG(f != NULL, "cannot write %s", bin);
  if (!f) return;
  fprintf(f, "#!/bin/sh\ncat <<'EOF'\n%s\nEOF\n", ROCMINFO_2GPU);
  fclose(f);
  chmod(bin, 0755);
  const char *old = getenv("PATH");
  snprintf(path, sizeof path, "%s:%s", dir, old ? old : "/usr/bin:/bin");
  setenv("PATH", path, 1);
  char *text = ar_rocminfo_run();
  CHECK_MSG(text != NULL, "fake rocminfo not run");
  int32_t cus[4] = {0};
  CHECK_MSG(text && ar_rocminfo_gpu_cus(text, cus, 4) == 2 && cus[0] == 256, "through PATH: %d",
        cus[0]);
  free(text);
  /* a rocminfo that fails prints nothing useful: NULL */
  f = fopen(bin, "w");
  if (f) {
    fprintf(f, "#!/bin/sh\necho 'HSA_STATUS_ERROR_OUT_OF_RESOURCES' >&2\nexit 1\n");
    fclose(f);
  }
  setenv("ROCM_PATH", dir, 1); /* $ROCM_PATH/bin/rocminfo does not exist */
  text = ar_rocminfo_run();
  /* /opt/rocm/bin/rocminfo may exist on a ROCm machine; only check the failing fake is not it */
  CHECK_MSG(text == NULL || strstr(text, "HSA_STATUS_ERROR") == NULL, "failing rocminfo used");
  free(text);
  if (old) setenv("PATH", old, 1);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_hip_cu_count SCRATCH_DIR\n");
    return 2;
  }
  parse_tests();
  decide_tests();
  run_tests(argv[1]);
  if (check_failures) {
    fprintf(stderr, "test_hip_cu_count: %ld failure(s)\n", check_failures);
    return 1;
  }
  printf("test_hip_cu_count: ok\n");
  return 0;
}
