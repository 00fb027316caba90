/*
** aiter_manifest.c -- read aiter's CSV manifests and locate code objects
** (aiter_manifest.h).  A small CSV reader: comma-separated fields, optional
** double quotes ("" inside quotes is a quote), surrounding blanks and a
** trailing CR ignored, '#' / "//" comment lines and blank lines skipped.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aiter_manifest.h"

#define MAX_LINE 8192
#define MAX_FIELDS 64
#define MAX_MANIFESTS 32

/* Split line in place into at most MAX_FIELDS trimmed fields; returns the
** count, or -1 when there are more fields than that or a quote is open. */
static int split_csv(char *line, char *field[MAX_FIELDS]) {
  int n = 0;
  char *r = line, *w = line;
  for (;;) {
    while (*r == ' ' || *r == '\t') r++;
    if (n == MAX_FIELDS) return -1;
    char *start = w;
    int quoted = 0;
    if (*r == '"') {
      quoted = 1;
      r++;
      for (;;) {
        if (*r == '\0') return -1;
        if (*r == '"' && r[1] == '"') {
          *w++ = '"';
          r += 2;
        } else if (*r == '"') {
          r++;
          break;
        } else {
          *w++ = *r++;
        }
      }
      while (*r == ' ' || *r == '\t' || *r == '\r') r++;
      if (*r != ',' && *r != '\0') return -1;
    } else {
      while (*r != ',' && *r != '\0') *w++ = *r++;
    }
    char *end = w;
    if (!quoted)
      while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
    char sep = *r;
    *end = '\0';
    w = end + 1;
    field[n++] = start;
    if (sep != ',') break;
    r++;
  }
  return n;
}

static int is_comment_or_blank(const char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
  return *s == '\0' || *s == '#' || (s[0] == '/' && s[1] == '/');
}

/* value equals one of the '|'-separated alternatives in want. */
static int value_matches(const char *value, const char *want) {
  char *vend;
  errno = 0;
  long vnum = strtol(value, &vend, 10);
  int vnumeric = *value != '\0' && *vend == '\0' && errno == 0;
  const char *alt = want;
  for (;;) {
    const char *bar = strchr(alt, '|');
    size_t len = bar ? (size_t)(bar - alt) : strlen(alt);
    char buf[128];
    if (len < sizeof buf) {
      memcpy(buf, alt, len);
      buf[len] = '\0';
      char *aend;
      errno = 0;
      long anum = strtol(buf, &aend, 10);
      int anumeric = len > 0 && *aend == '\0' && errno == 0;
      if (vnumeric && anumeric ? vnum == anum : strcmp(value, buf) == 0) return 1;
    }
    if (!bar) return 0;
    alt = bar + 1;
  }
}

static int is_readable_file(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  fclose(f);
  return 1;
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir of path ("." when none) into out. */
static void dir_of(const char *path, char *out, size_t len) {
  const char *slash = strrchr(path, '/');
  if (!slash) {
    snprintf(out, len, ".");
  } else if (slash == path) {
    snprintf(out, len, "/");
  } else {
    snprintf(out, len, "%.*s", (int)(slash - path), path);
  }
}

/* a/b into out; -1 (out truncated) when it does not fit. */
static int join(char *out, size_t len, const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la + 1 + lb >= len) {
    snprintf(out, len, "%.*s", (int)len - 1, a);
    return -1;
  }
  memcpy(out, a, la);
  out[la] = '/';
  memcpy(out + la + 1, b, lb + 1);
  return 0;
}

/* Resolve co_name from the manifest's folder: as given, then by its base
** name (a manifest may spell it with a folder prefix). */
static int resolve_co(const char *folder, const char *co_name, char *out, size_t len) {
  if (co_name[0] == '/') {
    snprintf(out, len, "%s", co_name);
    return is_readable_file(out) ? 0 : -1;
  }
  if (join(out, len, folder, co_name) == 0 && is_readable_file(out)) return 0;
  const char *base = strrchr(co_name, '/');
  char alt[AR_AITER_PATH_MAX];
  if (base && join(alt, sizeof alt, folder, base + 1) == 0 && is_readable_file(alt)) {
    snprintf(out, len, "%s", alt);
    return 0;
  }
  join(out, len, folder, co_name); /* report the first place looked */
  return -1;
}

static void describe_match(const ar_aiter_match *m, int n, char *out, size_t len) {
  size_t used = 0;
  out[0] = '\0';
  for (int i = 0; i < n && used < len; i++) {
    int k = snprintf(out + used, len - used, "%s%s=%s", i ? " " : "", m[i].column, m[i].value);
    if (k < 0) break;
    used += (size_t)k;
  }
}

int ar_aiter_manifest_find(const char *csv_path, const ar_aiter_match *match, int nmatch,
                           ar_aiter_kernel *out, char *why, size_t whylen) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(csv_path, "r");
  if (!f) {
    snprintf(why, whylen, "aiter: cannot read manifest %s: %s", csv_path, strerror(errno));
    return -1;
  }
  char *line = malloc(MAX_LINE);
  char *header = malloc(MAX_LINE);
  if (!line || !header) {
    free(line);
    free(header);
    fclose(f);
    snprintf(why, whylen, "aiter: out of memory reading %s", csv_path);
    return -1;
  }
  char *hfield[MAX_FIELDS];
  int nh = -1, lineno = 0, rc = -1;
  int col[MAX_FIELDS];
  int knl_col = -1, co_col = -1;
  char wanted[512];
  describe_match(match, nmatch, wanted, sizeof wanted);
  snprintf(why, whylen, "aiter: no row with %s in %s", wanted, csv_path);

  while (fgets(line, MAX_LINE, f)) {
    lineno++;
    size_t len = strlen(line);
    if (len == MAX_LINE - 1 && line[len - 1] != '\n') {
      snprintf(why, whylen, "aiter: %s:%d: line longer than %d bytes", csv_path, lineno,
               MAX_LINE - 2);
      goto done;
    }
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    if (is_comment_or_blank(line)) continue;

    if (nh < 0) { /* the header row */
      memcpy(header, line, len + 1);
      nh = split_csv(header, hfield);
      if (nh < 0) {
        snprintf(why, whylen, "aiter: %s:%d: malformed header", csv_path, lineno);
        goto done;
      }
      for (int i = 0; i < nh; i++) {
        if (strcmp(hfield[i], "knl_name") == 0) knl_col = i;
        if (strcmp(hfield[i], "co_name") == 0) co_col = i;
      }
      if (knl_col < 0 || co_col < 0) {
        snprintf(why, whylen, "aiter: manifest %s has no %s column", csv_path,
                 knl_col < 0 ? "knl_name" : "co_name");
        goto done;
      }
      for (int m = 0; m < nmatch; m++) {
        col[m] = -1;
        for (int i = 0; i < nh; i++)
          if (strcmp(hfield[i], match[m].column) == 0) col[m] = i;
        if (col[m] < 0 && match[m].required) {
          snprintf(why, whylen, "aiter: manifest %s has no %s column", csv_path,
                   match[m].column);
          goto done;
        }
      }
      continue;
    }

    char *field[MAX_FIELDS];
    int n = split_csv(line, field);
    if (n < 0) {
      snprintf(why, whylen, "aiter: %s:%d: malformed row", csv_path, lineno);
      goto done;
    }
    if (n <= knl_col || n <= co_col) continue; /* short row: not a kernel */
    int ok = 1;
    for (int m = 0; m < nmatch && ok; m++) {
      if (col[m] < 0) continue;
      ok = col[m] < n && value_matches(field[col[m]], match[m].value);
    }
    if (!ok) continue;

    const char *sym = field[knl_col], *co = field[co_col];
    if (!*sym || !*co) {
      snprintf(why, whylen, "aiter: %s:%d: empty knl_name or co_name", csv_path, lineno);
      goto done;
    }
    if (strlen(sym) >= sizeof out->symbol) {
      snprintf(why, whylen, "aiter: %s:%d: knl_name too long", csv_path, lineno);
      goto done;
    }
    char folder[AR_AITER_PATH_MAX];
    dir_of(csv_path, folder, sizeof folder);
    if (resolve_co(folder, co, out->co_path, sizeof out->co_path) != 0) {
      snprintf(why, whylen, "aiter: code object %s (listed in %s:%d for %s) not found",
               out->co_path, csv_path, lineno, wanted);
      memset(out, 0, sizeof *out);
      goto done;
    }
    snprintf(out->symbol, sizeof out->symbol, "%s", sym);
    snprintf(out->manifest, sizeof out->manifest, "%s", csv_path);
    why[0] = '\0';
    rc = 0;
    goto done;
  }
  if (nh < 0) snprintf(why, whylen, "aiter: manifest %s has no header row", csv_path);

done:
  free(line);
  free(header);
  fclose(f);
  return rc;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first existing <hsa_dir>/<arch>/<folder>, <hsa_dir>/<folder>,
** <hsa_dir>/hsa/<arch>/<folder>. */
static int find_folder(const char *hsa_dir, const char *arch, const char *folder, char *out,
                       size_t len) {
  const char *fmt[3] = {"%s/%s/%s", "%s/%.0s%s", "%s/hsa/%s/%s"};
  for (int i = 0; i < 3; i++) {
    int n = snprintf(out, len, fmt[i], hsa_dir, arch, folder);
    if (n > 0 && (size_t)n < len && is_dir(out)) return 0;
  }
  snprintf(out, len, "%s/%s/%s", hsa_dir, arch, folder);
  return -1;
}

int ar_aiter_find(const char *hsa_dir, const char *arch, const char *folder,
                  const ar_aiter_match *match, int nmatch, ar_aiter_kernel *out, char *why,
                  size_t whylen) {
  memset(out, 0, sizeof *out);
  if (!hsa_dir || !*hsa_dir) {
    snprintf(why, whylen,
             "aiter: no aiter hsa folder given (pass --aiter-hsa DIR or set AITER_ASM_DIR)");
    return -1;
  }
  char dir[AR_AITER_PATH_MAX];
  if (find_folder(hsa_dir, arch, folder, dir, sizeof dir) != 0) {
    snprintf(why, whylen, "aiter: no %s folder for %s under %s (looked for %s)", folder, arch,
             hsa_dir, dir);
    return -1;
  }
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(why, whylen, "aiter: cannot list %s: %s", dir, strerror(errno));
    return -1;
  }
  char *names[MAX_MANIFESTS];
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && count < MAX_MANIFESTS) {
    size_t n = strlen(e->d_name);
    if (n > 4 && strcmp(e->d_name + n - 4, ".csv") == 0) {
      names[count] = strdup(e->d_name);
      if (names[count]) count++;
    }
  }
  closedir(d);
  if (count == 0) {
    snprintf(why, whylen, "aiter: no manifest (*.csv) in %s", dir);
    return -1;
  }
  qsort(names, (size_t)count, sizeof names[0], cmp_str);

  int rc = -1;
  char first_why[1024] = "";
  for (int i = 0; i < count && rc != 0; i++) {
    char path[AR_AITER_PATH_MAX];
    if (join(path, sizeof path, dir, names[i]) != 0) continue;
    rc = ar_aiter_manifest_find(path, match, nmatch, out, why, whylen);
    if (rc != 0 && !first_why[0]) snprintf(first_why, sizeof first_why, "%s", why);
  }
  for (int i = 0; i < count; i++) free(names[i]);
  if (rc != 0 && count == 1) snprintf(why, whylen, "%s", first_why);
  else if (rc != 0) {
    char wanted[512];
    describe_match(match, nmatch, wanted, sizeof wanted);
    snprintf(why, whylen, "aiter: no usable row with %s in the %d manifests of %s (first: %s)",
             wanted, count, dir, first_why);
  }
  return rc;
}

int ar_aiter_find_sink_varlen(const char *hsa_dir, const char *arch, int head_dim,
                              ar_aiter_kernel *out, char *why, size_t whylen) {
  char hd[16];
  snprintf(hd, sizeof hd, "%d", head_dim);
  /* mask: aiter's varlen manifest marks the causal (bottom-right) kernels 1;
  ** other aiter manifests write bottom-right causal as 2. */
  const ar_aiter_match m[] = {
      {"hdim_q", hd, 1},
      {"mask", "1|2", 1},
      {"dtype", "bf16", 0},
      {"hdim_v", hd, 0},
  };
  return ar_aiter_find(hsa_dir, arch, "fmha_fwd_bf16_varlen", m, (int)(sizeof m / sizeof m[0]),
                       out, why, whylen);
}
