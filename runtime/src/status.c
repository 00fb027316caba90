/*
** status.c -- names: the library version, status texts, legacy route names
** and dtype names (from the header's X-macro lists) and legacy policy names.
*/
#include <string.h>

#include "attnroute.h"

/*
** ATTNROUTE_VERSION of the compiled library.
*/
int attnroute_version(void) { return ATTNROUTE_VERSION; }

/* names[i] for i in [0, n), else `unknown`. */
static const char *name_at(const char *const *names, int n, int i, const char *unknown) {
  return (i >= 0 && i < n) ? names[i] : unknown;
}

/* The index of the entry spelled exactly `name`, or -1 (also for NULL). */
static int name_index(const char *const *names, int n, const char *name) {
  int i;
  if (!name) return -1;
  for (i = 0; i < n; i++)
    if (strcmp(name, names[i]) == 0) return i;
  return -1;
}

static const char *const status_text[ATTNROUTE_NUM_STATUS] = {
#define ATTNROUTE__TEXT(name, text) text,
    ATTNROUTE_STATUS_LIST(ATTNROUTE__TEXT)
#undef ATTNROUTE__TEXT
};

static const char *const route_names[ATTNROUTE_NUM_ROUTES] = {
#define ATTNROUTE__ROUTE_NAME(name, value, text) [value] = text,
    ATTNROUTE_ROUTE_LIST(ATTNROUTE__ROUTE_NAME)
#undef ATTNROUTE__ROUTE_NAME
};

static const char *const dtype_names[ATTNROUTE_NUM_DTYPES] = {
#define ATTNROUTE__DTYPE_NAME(name, value, text) [value] = text,
    ATTNROUTE_DTYPE_LIST(ATTNROUTE__DTYPE_NAME)
#undef ATTNROUTE__DTYPE_NAME
};

static const char *const policy_names[ATTNROUTE_NUM_POLICIES] = {
    "post-1345", /* ATTNROUTE_POLICY_POST_1345 */
    "pre-1345",  /* ATTNROUTE_POLICY_PRE_1345 */
};

/* The lists' values are 0..N-1, each once: as many entries as values, and
** (above) no two entries for one value (-Woverride-init). */
#define ATTNROUTE__ONE(name, value, text) +1
typedef char attnroute__route_list_dense[(0 ATTNROUTE_ROUTE_LIST(ATTNROUTE__ONE)) == ATTNROUTE_NUM_ROUTES ? 1 : -1];
typedef char attnroute__dtype_list_dense[(0 ATTNROUTE_DTYPE_LIST(ATTNROUTE__ONE)) == ATTNROUTE_NUM_DTYPES ? 1 : -1];
#undef ATTNROUTE__ONE

/* Text for a status code; "unknown status" when out of range. */
const char *attnroute_status_str(int status) {
  return name_at(status_text, ATTNROUTE_NUM_STATUS, status, "unknown status");
}

/* Name of a legacy route; "unknown" when out of range. */
const char *attnroute_route_name(int route) {
  return name_at(route_names, ATTNROUTE_NUM_ROUTES, route, "unknown");
}

/* Name of an element type; "unknown" when out of range. */
const char *attnroute_dtype_name(int dtype) {
  return name_at(dtype_names, ATTNROUTE_NUM_DTYPES, dtype, "unknown");
}

/* The dtype named exactly `name`, or -1 for NULL or any other string. */
int attnroute_dtype_parse(const char *name) { return name_index(dtype_names, ATTNROUTE_NUM_DTYPES, name); }

/* Name of a legacy policy; "unknown" when out of range. */
const char *attnroute_policy_name(int policy) {
  return name_at(policy_names, ATTNROUTE_NUM_POLICIES, policy, "unknown");
}

/* The policy named exactly `name` (as attnroute_policy_name spells it), or
** -1 for NULL or any other string. */
int attnroute_policy_parse(const char *name) {
  return name_index(policy_names, ATTNROUTE_NUM_POLICIES, name);
}
