/*
** cli_number.c -- strict finite-number and integer parsing for flags (see
** cli_number.h).
*/
#include "cli_number.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* Only digits, sign, point and exponent: strtod alone also takes "nan",
** "inf", hex floats and leading blanks. */
static int plain_decimal(const char *t)
{
  if (!*t || isspace((unsigned char)*t)) return 0;
  for (const char *c = t; *c; c++)
    if (!isdigit((unsigned char)*c) && *c != '-' && *c != '+' && *c != '.' && *c != 'e' && *c != 'E')
      return 0;
  return 1;
}

int ar_cli_parse_number(const char *text, double lo, double hi, double *out)
{
  char *end;
  double x;
  if (!text || !plain_decimal(text)) return -1;
  errno = 0;
  x = strtod(text, &end);
  if (end == text || *end || errno == ERANGE || !isfinite(x) || !(x >= lo && x <= hi)) return -1;
  *out = x;
  return 0;
}

int ar_cli_parse_integer(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
  const char *c = text;
  char *end;
  long long x;
  if (!text) return -1;
  if (*c == '-' || *c == '+') c++;
  if (!isdigit((unsigned char)*c)) return -1;
  for (; *c; c++)
    if (!isdigit((unsigned char)*c)) return -1;
  errno = 0;
  x = strtoll(text, &end, 10);
  if (*end || errno == ERANGE || x < lo || x > hi) return -1;
  *out = x;
  return 0;
}
