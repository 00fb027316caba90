/*
** test_aiter_manifest.c -- aiter CSV manifest lookup (aiter_manifest.h) on
** the fixture tree (argv[1]: tests/hip/fixtures) and on manifests written
** to a temporary folder: comments, CRLF, quotes, extra and missing columns,
** several manifests, missing code objects.  Missing things must give a
** message, never a crash.  No GPU.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aiter_manifest.h"

#include "../check.h"

static char tmp[256];
static char made[32][512]; /* files to remove at the end */
static int nmade = 0;

static void write_file(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", tmp, rel);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(1);
  }
  fputs(text, f);
  fclose(f);
  if (nmade < 32) snprintf(made[nmade++], sizeof made[0], "%s", path);
}

static int ends_with(const char *s, const char *tail) {
  size_t n = strlen(s), m = strlen(tail);
  return n >= m && strcmp(s + n - m, tail) == 0;
}

static void fixture_tests(const char *fixtures) {
  char hsa[512], arch_dir[512], why[1024];
  snprintf(hsa, sizeof hsa, "%s/hsa", fixtures);
  snprintf(arch_dir, sizeof arch_dir, "%s/hsa/gfx1250", fixtures);
  ar_aiter_kernel k;

  /* The three spellings of the folder all find the hd64 causal object. */
  const char *dirs[3] = {hsa, arch_dir, fixtures};
  for (int i = 0; i < 3; i++) {
    int rc = ar_aiter_find_sink_varlen(dirs[i], "gfx1250", 64, &k, why, sizeof why);
    CHECK_MSG(rc == 0, "dir %s: %s", dirs[i], why);
    CHECK_MSG(strcmp(k.symbol, "_ZN5aiter47fmha_bf16_pertokenBf16_hd64_128x256_mask_varlenE") == 0,
          "symbol %s", k.symbol);
    CHECK_MSG(ends_with(k.co_path, "/fmha_fwd_bf16_varlen/"
                               "fmha_bf16_pertokenBf16_hd64_128x256_mask_varlen.co"),
          "co %s", k.co_path);
    CHECK_MSG(access(k.co_path, R_OK) == 0, "co %s not readable", k.co_path);
    CHECK_MSG(ends_with(k.manifest, "fmha_fwd_bf16_varlen.csv"), "manifest %s", k.manifest);
  }

  /* hd128 causal: listed, but its code object is missing (the non-causal
  ** one is there and must not be taken instead). */
  int rc = ar_aiter_find_sink_varlen(hsa, "gfx1250", 128, &k, why, sizeof why);
  CHECK_MSG(rc == -1, "hd128 found %s", k.co_path);
  CHECK_MSG(strstr(why, "not found") && strstr(why, "hd128_128x256_mask_varlen.co"), "why: %s", why);
  CHECK_MSG(k.symbol[0] == '\0' && k.co_path[0] == '\0', "out not cleared");

  /* No row for head_dim 96. */
  rc = ar_aiter_find_sink_varlen(hsa, "gfx1250", 96, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "no row") && strstr(why, "hdim_q=96"), "why: %s", why);

  /* Another arch, a missing folder, no folder at all. */
  rc = ar_aiter_find_sink_varlen(hsa, "gfx942", 64, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "no fmha_fwd_bf16_varlen folder for gfx942"), "why: %s", why);
  rc = ar_aiter_find_sink_varlen("/nonexistent/attnroute/hsa", "gfx1250", 64, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "/nonexistent/attnroute/hsa"), "why: %s", why);
  rc = ar_aiter_find_sink_varlen(NULL, "gfx1250", 64, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "--aiter-hsa") && strstr(why, "AITER_ASM_DIR"), "why: %s", why);
  rc = ar_aiter_find_sink_varlen("", "gfx1250", 64, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "--aiter-hsa"), "why: %s", why);

  /* A tiny why buffer truncates, never overflows. */
  char small[8];
  memset(small, 'x', sizeof small);
  rc = ar_aiter_find_sink_varlen(hsa, "gfx1250", 128, &k, small, sizeof small);
  CHECK_MSG(rc == -1 && memchr(small, '\0', sizeof small) != NULL, "small why");
}

static void synthetic_tests(void) {
  char why[1024], csv[512];
  ar_aiter_kernel k;
  ar_aiter_match causal64[] = {{"hdim_q", "64", 1}, {"mask", "1|2", 1}, {"dtype", "bf16", 0}};

  write_file("a.co", "fake\n");
  write_file("b.co", "fake\n");
  snprintf(csv, sizeof csv, "%s/sub", tmp);
  mkdir(csv, 0755);
  write_file("sub/c.co", "fake\n");

  /* CRLF, "//" and '#' comments, blank lines, quotes, blanks, extra
  ** columns, a non-matching dtype first, mask 2 for causal. */
  write_file("crlf.csv",
             "// comment line\r\n"
             "\r\n"
             "# another\r\n"
             "dtype , hdim_q,hdim_v,mask,ts_qo,knl_name,co_name,extra\r\n"
             "fp16,64,64,1,128,_Zfp16,a.co,x\r\n"
             "bf16, 64 ,64,2,128,\"_Zquoted,sym\",\"b.co\",\"say \"\"hi\"\"\"\r\n");
  snprintf(csv, sizeof csv, "%s/crlf.csv", tmp);
  int rc = ar_aiter_manifest_find(csv, causal64, 3, &k, why, sizeof why);
  CHECK_MSG(rc == 0, "crlf: %s", why);
  CHECK_MSG(strcmp(k.symbol, "_Zquoted,sym") == 0, "crlf symbol '%s'", k.symbol);
  CHECK_MSG(ends_with(k.co_path, "/b.co"), "crlf co %s", k.co_path);

  /* Optional column absent (no dtype): ignored.  co_name with a folder
  ** prefix: resolved as given under the manifest's folder. */
  write_file("nodtype.csv", "hdim_q,mask,knl_name,co_name\n64,1,_Zsub,sub/c.co\n");
  snprintf(csv, sizeof csv, "%s/nodtype.csv", tmp);
  rc = ar_aiter_manifest_find(csv, causal64, 3, &k, why, sizeof why);
  CHECK_MSG(rc == 0 && ends_with(k.co_path, "/sub/c.co"), "nodtype: %s %s", why, k.co_path);

  /* co_name spelled with a folder that is not there: the base name next
  ** to the manifest is taken. */
  write_file("prefixed.csv", "hdim_q,mask,knl_name,co_name\n64,1,_Zpre,elsewhere/a.co\n");
  snprintf(csv, sizeof csv, "%s/prefixed.csv", tmp);
  rc = ar_aiter_manifest_find(csv, causal64, 3, &k, why, sizeof why);
  CHECK_MSG(rc == 0 && ends_with(k.co_path, "/a.co"), "prefixed: %s %s", why, k.co_path);

  /* Required column absent. */
  write_file("nomask.csv", "hdim_q,knl_name,co_name\n64,_Za,a.co\n");
  snprintf(csv, sizeof csv, "%s/nomask.csv", tmp);
  rc = ar_aiter_manifest_find(csv, causal64, 3, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "no mask column"), "nomask: %s", why);

  /* No knl_name / co_name column. */
  write_file("noknl.csv", "hdim_q,mask,kernel,co_name\n64,1,_Za,a.co\n");
  snprintf(csv, sizeof csv, "%s/noknl.csv", tmp);
  rc = ar_aiter_manifest_find(csv, causal64, 3, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "no knl_name column"), "noknl: %s", why);
  write_file("noco.csv", "hdim_q,mask,knl_name\n64,1,_Za\n");
  snprintf(csv, sizeof csv, "%s/noco.csv", tmp);
  rc = ar_aiter_manifest_find(csv, causal64, 3, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "no co_name column"), "noco: %s", why);

  /* Empty manifest, comments only, unterminated quote, missing file. */
  write_file("empty.csv", "");
  snprintf(csv, sizeof csv, "%s/empty.csv", tmp);
  rc = ar_aiter_manifest_find(csv, causal64, 3, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "no header row"), "empty: %s", why);
  write_file("comments.csv", "# only\n// comments\n");
  snprintf(csv, sizeof csv, "%s/comments.csv", tmp);
  rc = ar_aiter_manifest_find(csv, causal64, 3, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "no header row"), "comments: %s", why);
  write_file("badquote.csv", "hdim_q,mask,knl_name,co_name\n64,1,\"_Za,a.co\n");
  snprintf(csv, sizeof csv, "%s/badquote.csv", tmp);
  rc = ar_aiter_manifest_find(csv, causal64, 3, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "malformed row") && strstr(why, ":2"), "badquote: %s", why);
  snprintf(csv, sizeof csv, "%s/absent.csv", tmp);
  rc = ar_aiter_manifest_find(csv, causal64, 3, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "cannot read manifest") && strstr(why, "absent.csv"),
        "absent: %s", why);

  /* The row matches but its code object is missing. */
  write_file("missing.csv", "hdim_q,mask,knl_name,co_name\n64,1,_Zmissing,gone.co\n");
  snprintf(csv, sizeof csv, "%s/missing.csv", tmp);
  rc = ar_aiter_manifest_find(csv, causal64, 3, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "gone.co") && strstr(why, "not found") &&
            strstr(why, "missing.csv:2"),
        "missing: %s", why);

  /* Short rows are skipped, numbers compare as numbers. */
  write_file("short.csv", "hdim_q,mask,knl_name,co_name\n64,1\n064,01,_Zshort,a.co\n");
  snprintf(csv, sizeof csv, "%s/short.csv", tmp);
  rc = ar_aiter_manifest_find(csv, causal64, 3, &k, why, sizeof why);
  CHECK_MSG(rc == 0 && strcmp(k.symbol, "_Zshort") == 0, "short: %s", why);
}

/* A folder with several manifests: searched in name order, first match. */
static void folder_tests(void) {
  char why[1024], path[512];
  ar_aiter_kernel k;
  snprintf(path, sizeof path, "%s/gfx1250", tmp);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/gfx1250/fmha_fwd_bf16_varlen", tmp);
  mkdir(path, 0755);
  write_file("gfx1250/fmha_fwd_bf16_varlen/x.co", "fake\n");
  write_file("gfx1250/fmha_fwd_bf16_varlen/y.co", "fake\n");
  write_file("gfx1250/fmha_fwd_bf16_varlen/a_first.csv",
             "dtype,hdim_q,hdim_v,mask,knl_name,co_name\nbf16,128,128,1,_Zx128,x.co\n");
  write_file("gfx1250/fmha_fwd_bf16_varlen/b_second.csv",
             "dtype,hdim_q,hdim_v,mask,knl_name,co_name\nbf16,64,64,1,_Zy64,y.co\n"
             "bf16,128,128,1,_Zy128,y.co\n");
  int rc = ar_aiter_find_sink_varlen(tmp, "gfx1250", 64, &k, why, sizeof why);
  CHECK_MSG(rc == 0 && strcmp(k.symbol, "_Zy64") == 0 && ends_with(k.manifest, "b_second.csv"),
        "second manifest: %s %s", why, k.symbol);
  rc = ar_aiter_find_sink_varlen(tmp, "gfx1250", 128, &k, why, sizeof why);
  CHECK_MSG(rc == 0 && strcmp(k.symbol, "_Zx128") == 0, "first manifest wins: %s %s", why, k.symbol);
  rc = ar_aiter_find_sink_varlen(tmp, "gfx1250", 256, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "2 manifests"), "none: %s", why);

  /* A folder without manifests. */
  snprintf(path, sizeof path, "%s/gfx950", tmp);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/gfx950/fmha_fwd_bf16_varlen", tmp);
  mkdir(path, 0755);
  rc = ar_aiter_find_sink_varlen(tmp, "gfx950", 64, &k, why, sizeof why);
  CHECK_MSG(rc == -1 && strstr(why, "no manifest"), "no manifest: %s", why);
}

static void cleanup(void) {
  for (int i = nmade - 1; i >= 0; i--) remove(made[i]);
  const char *dirs[] = {"gfx950/fmha_fwd_bf16_varlen", "gfx950", "gfx1250/fmha_fwd_bf16_varlen",
                        "gfx1250", "sub", ""};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp, dirs[i]);
    rmdir(path);
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_aiter_manifest FIXTURES_DIR\n");
    return 2;
  }
  const char *base = getenv("TMPDIR");
  snprintf(tmp, sizeof tmp, "%s/ar_hip_manifest_XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(tmp)) {
    perror("mkdtemp");
    return 2;
  }
  fixture_tests(argv[1]);
  synthetic_tests();
  folder_tests();
  cleanup();
  if (check_failures) {
    fprintf(stderr, "test_aiter_manifest: %ld failure(s)\n", check_failures);
    return 1;
  }
  printf("test_aiter_manifest: ok\n");
  return 0;
}
