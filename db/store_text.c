/*
** store_text.c -- text forms the store writes into the db and reads back:
** measurement status names, dtype names and the caps text of the candidate
** table.  No SQLite here; the generator (gen/) parses the same forms, so
** change them only together with it.
*/
#include "store.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[AR_NUM_STATUS] = {
#define AR__STATUS_TEXT(name, text) text,
  AR_STATUS_LIST(AR__STATUS_TEXT)
#undef AR__STATUS_TEXT
};

const char *ar_status_name(ar_status s)
{
  if ((int)s < 0 || (int)s >= AR_NUM_STATUS) return "unknown";
  return status_names[s];
}

int ar_status_parse(const char *name)
{
  if (!name) return -1;
  for (int i = 0; i < AR_NUM_STATUS; i++)
    if (strcmp(name, status_names[i]) == 0) return i;
  return -1;
}

/* The runtime's names (attnroute.h's ATTNROUTE_DTYPE_LIST). */
const char *ar_store_dtype_name(int dtype)
{
  if (dtype < 0 || dtype >= ATTNROUTE_NUM_DTYPES) return NULL;
  return attnroute_dtype_name(dtype);
}

int ar_store_dtype_parse(const char *name)
{
  return attnroute_dtype_parse(name);
}

/* The caps fields, in struct order.  Every field is 32 bits wide. */
enum caps_kind { CAPS_MASK, CAPS_CAP, CAPS_COUNT };
static const struct caps_field {
  const char *key;
  size_t offset;
  enum caps_kind kind; /* MASK: uint32 hex; CAP: attnroute_cap 0..2; COUNT: int32 >= 0 */
} caps_fields[] = {
  { "head_dim_mask", offsetof(attnroute_caps, head_dim_mask), CAPS_MASK },
  { "q_dtype_mask", offsetof(attnroute_caps, q_dtype_mask), CAPS_MASK },
  { "kv_dtype_mask", offsetof(attnroute_caps, kv_dtype_mask), CAPS_MASK },
  { "block_size_mask", offsetof(attnroute_caps, block_size_mask), CAPS_MASK },
  { "sinks", offsetof(attnroute_caps, sinks), CAPS_CAP },
  { "window", offsetof(attnroute_caps, window), CAPS_CAP },
  { "causal", offsetof(attnroute_caps, causal), CAPS_CAP },
  { "max_seqlen_q", offsetof(attnroute_caps, max_seqlen_q), CAPS_COUNT },
  { "gqa_exact", offsetof(attnroute_caps, gqa_exact), CAPS_COUNT },
};
#define NUM_CAPS_FIELDS ((int)(sizeof caps_fields / sizeof caps_fields[0]))

int ar_store_caps_format(const attnroute_caps *caps, char *buf, size_t len)
{
  size_t used = 0;
  if (!caps || !buf || len == 0) return -1;
  buf[0] = '\0';
  for (int i = 0; i < NUM_CAPS_FIELDS; i++) {
    const struct caps_field *f = &caps_fields[i];
    const char *p = (const char *)caps + f->offset;
    int n;
    if (f->kind == CAPS_MASK) {
      uint32_t v;
      memcpy(&v, p, sizeof v);
      n = snprintf(buf + used, len - used, "%s%s=0x%lx", i ? "," : "", f->key,
                   (unsigned long)v);
    } else {
      int32_t v;
      memcpy(&v, p, sizeof v);
      n = snprintf(buf + used, len - used, "%s%s=%ld", i ? "," : "", f->key, (long)v);
    }
    if (n < 0 || (size_t)n >= len - used) {
      buf[0] = '\0';
      return -1;
    }
    used += (size_t)n;
  }
  return 0;
}

/* Parse one non-negative decimal or 0x-hex number spanning [s, end)
** exactly (no sign, no spaces, no octal). */
static int parse_number(const char *s, const char *end, long long *out)
{
  char tmp[32];
  size_t n = (size_t)(end - s);
  const char *digits = tmp;
  int base = 10;
  char *stop;
  if (n == 0 || n >= sizeof tmp) return -1;
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  if (n > 2 && tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X')) {
    digits = tmp + 2;
    base = 16;
  }
  if (!(base == 16 ? isxdigit((unsigned char)digits[0]) : isdigit((unsigned char)digits[0])))
    return -1;
  errno = 0;
  *out = strtoll(digits, &stop, base);
  if (errno != 0 || *stop != '\0') return -1;
  return 0;
}

int ar_store_caps_parse(const char *text, attnroute_caps *caps)
{
  attnroute_caps c;
  int seen[NUM_CAPS_FIELDS] = { 0 };
  const char *p = text;
  if (!text || !caps) return -1;
  memset(&c, 0, sizeof c);
  while (*p) {
    const char *comma = strchr(p, ',');
    const char *end = comma ? comma : p + strlen(p);
    const char *eq = memchr(p, '=', (size_t)(end - p));
    int k;
    long long v;
    if (!eq) return -1;
    for (k = 0; k < NUM_CAPS_FIELDS; k++)
      if (strlen(caps_fields[k].key) == (size_t)(eq - p) &&
          memcmp(caps_fields[k].key, p, (size_t)(eq - p)) == 0)
        break;
    if (k == NUM_CAPS_FIELDS || seen[k]) return -1;
    seen[k] = 1;
    if (parse_number(eq + 1, end, &v) != 0) return -1;
    switch (caps_fields[k].kind) {
    case CAPS_MASK:
      if (v < 0 || v > (long long)UINT32_MAX) return -1;
      {
        uint32_t u = (uint32_t)v;
        memcpy((char *)&c + caps_fields[k].offset, &u, sizeof u);
      }
      break;
    case CAPS_CAP:
    case CAPS_COUNT:
      if (v < 0 || v > INT32_MAX) return -1;
      if (caps_fields[k].kind == CAPS_CAP && v > ATTNROUTE_CAP_OPTIONAL) return -1;
      {
        int32_t i = (int32_t)v;
        memcpy((char *)&c + caps_fields[k].offset, &i, sizeof i);
      }
      break;
    }
    if (!comma) break;
    p = comma + 1;
    if (*p == '\0') return -1; /* trailing comma */
  }
  for (int k = 0; k < NUM_CAPS_FIELDS; k++)
    if (!seen[k]) return -1;
  *caps = c;
  return 0;
}
