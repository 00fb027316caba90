/*
** test_lists.c -- the lists db/schema.sql spells out by hand against their
** one home in C: measurement.status's CHECK against db/outcome.h's
** AR_STATUS_LIST, and the legacy_pick view's route names against
** attnroute.h's ATTNROUTE_ROUTE_LIST (attnroute_route_name).
*/
#include "test_cases.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text of the first '...' literal at or after *p (up to `stop`, which
** may be NULL) into buf; advances *p past it.  0 when there is none. */
static int next_quoted(const char **p, const char *stop, char *buf, size_t len)
{
  const char *a = strchr(*p, '\''), *b;
  if (!a || (stop && a >= stop)) return 0;
  b = strchr(a + 1, '\'');
  if (!b || (size_t)(b - a - 1) >= len) test_fail(__FILE__, __LINE__, "schema.sql: unterminated literal");
  memcpy(buf, a + 1, (size_t)(b - a - 1));
  buf[b - a - 1] = '\0';
  *p = b + 1;
  return 1;
}

void test_outcome_list(void)
{
  static const char *const want[] = {
#define NAME(name, text) text,
    AR_STATUS_LIST(NAME)
#undef NAME
  };
  const char *check = strstr(ar_store_schema_sql, "CHECK (status IN (");
  const char *end, *p;
  char name[64];
  int n = 0;
  if (!check) test_fail(__FILE__, __LINE__, "schema.sql: no CHECK (status IN (...)) on measurement.status");
  end = strchr(check, ')');
  CHECK(end != NULL);
  p = check;
  while (next_quoted(&p, end, name, sizeof name)) {
    if (n >= AR_NUM_STATUS || strcmp(name, want[n]) != 0)
      test_fail(__FILE__, __LINE__, "schema.sql's status CHECK lists '%s' where AR_STATUS_LIST has '%s'",
                name, n < AR_NUM_STATUS ? want[n] : "(nothing)");
    CHECK(ar_status_parse(name) == n && strcmp(ar_status_name((ar_status)n), name) == 0);
    n++;
  }
  if (n != AR_NUM_STATUS)
    test_fail(__FILE__, __LINE__, "schema.sql's status CHECK lists %d outcomes, AR_STATUS_LIST %d", n,
              AR_NUM_STATUS);
  /* Only one status CHECK: another would be a second copy to keep. */
  CHECK(strstr(end, "CHECK (status IN (") == NULL);
}

void test_route_names(void)
{
  const char *p = strstr(ar_store_schema_sql, "CASE r.route");
  const char *end;
  int seen = 0;
  char name[64];
  if (!p) test_fail(__FILE__, __LINE__, "schema.sql: no CASE r.route (the legacy_pick view's route names)");
  end = strstr(p, " END AS route_name");
  if (!end) test_fail(__FILE__, __LINE__, "schema.sql: legacy_pick's route_name CASE has no END");
  for (;;) {
    const char *when = strstr(p, "WHEN ");
    const char *els = strstr(p, "ELSE ");
    if (when && when < end && (!els || when < els)) {
      char *num_end;
      long route = strtol(when + 5, &num_end, 10);
      p = num_end;
      CHECK(strncmp(p, " THEN ", 6) == 0);
      CHECK(next_quoted(&p, end, name, sizeof name));
      if (route < 0 || route >= ATTNROUTE_NUM_ROUTES || strcmp(name, attnroute_route_name((int)route)) != 0)
        test_fail(__FILE__, __LINE__, "schema.sql's legacy_pick names route %ld '%s', attnroute.h '%s'", route,
                  name, attnroute_route_name((int)route));
      seen++;
    } else {
      /* ELSE: the one route the view's gates give besides those listed. */
      CHECK(els && els < end);
      p = els;
      CHECK(next_quoted(&p, end, name, sizeof name));
      if (strcmp(name, attnroute_route_name(ATTNROUTE_ROUTE_ENGINE_ERROR)) != 0)
        test_fail(__FILE__, __LINE__, "schema.sql's legacy_pick ELSE names '%s', attnroute.h '%s'", name,
                  attnroute_route_name(ATTNROUTE_ROUTE_ENGINE_ERROR));
      break;
    }
  }
  CHECK(seen >= 5);
}
