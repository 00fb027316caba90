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

static const char *const status_text[ATTNROUTE_NUM_STATUS] = {
#define ATTNROUTE__TEXT(name, text) text,
    ATTNROUTE_STATUS_LIST(ATTNROUTE__TEXT)
#undef ATTNROUTE__TEXT
};

/*
** Text for a status code; "unknown status" when out of range.
*/
const char *attnroute_status_str(int status) {
  if (status < 0 || status >= ATTNROUTE_NUM_STATUS) return "unknown status";
  return status_text[status];
}

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

/* The lists' values are 0..N-1, each once: as many entries as values, and
** (above) no two entries for one value (-Woverride-init). */
#define ATTNROUTE__ONE(name, value, text) +1
typedef char attnroute__route_list_dense[(0 ATTNROUTE_ROUTE_LIST(ATTNROUTE__ONE)) == ATTNROUTE_NUM_ROUTES ? 1 : -1];
typedef char attnroute__dtype_list_dense[(0 ATTNROUTE_DTYPE_LIST(ATTNROUTE__ONE)) == ATTNROUTE_NUM_DTYPES ? 1 : -1];
#undef ATTNROUTE__ONE

/*
** Name of a legacy route; "unknown" when out of range.
*/
const char *attnroute_route_name(int route) {
  if (route < 0 || route >= ATTNROUTE_NUM_ROUTES) return "unknown";
  return route_names[route];
}

/*
** Name of an element type; "unknown" when out of range.
*/
const char *attnroute_dtype_name(int dtype) {
  if (dtype < 0 || dtype >= ATTNROUTE_NUM_DTYPES) return "unknown";
  return dtype_names[dtype];
}

/*
** The dtype named exactly `name`, or -1 for NULL or any other string.
*/
int attnroute_dtype_parse(const char *name) {
  int i;
  if (!name) return -1;
  for (i = 0; i < ATTNROUTE_NUM_DTYPES; i++)
    if (strcmp(name, dtype_names[i]) == 0) return i;
  return -1;
}

static const char *const policy_names[ATTNROUTE_NUM_POLICIES] = {
    "post-1345", /* ATTNROUTE_POLICY_POST_1345 */
    "pre-1345",  /* ATTNROUTE_POLICY_PRE_1345 */
};

/*
** Name of a legacy policy; "unknown" when out of range.
*/
const char *attnroute_policy_name(int policy) {
  if (policy < 0 || policy >= ATTNROUTE_NUM_POLICIES) return "unknown";
  return policy_names[policy];
}

/*
** The policy named exactly `name` (as attnroute_policy_name spells it), or
** -1 for NULL or any other string.
*/
int attnroute_policy_parse(const char *name) {
  int i;
  if (!name) return -1;
  for (i = 0; i < ATTNROUTE_NUM_POLICIES; i++)
    if (strcmp(name, policy_names[i]) == 0) return i;
  return -1;
}
