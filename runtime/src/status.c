/*
** status.c -- names: the library version, status texts (from the header's
** X-macro list), legacy route names and legacy policy names.
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
    "dense_sink_asm",   /* ATTNROUTE_ROUTE_DENSE_SINK_ASM */
    "triton_paged",     /* ATTNROUTE_ROUTE_TRITON_PAGED */
    "triton_splitkv",   /* ATTNROUTE_ROUTE_TRITON_SPLITKV */
    "asm_paged_decode", /* ATTNROUTE_ROUTE_ASM_PAGED_DECODE */
    "triton_paged_gather",   /* ATTNROUTE_ROUTE_TRITON_PAGED_GATHER */
    "triton_splitkv_gather", /* ATTNROUTE_ROUTE_TRITON_SPLITKV_GATHER */
    "asm_persistent_decode", /* ATTNROUTE_ROUTE_ASM_PERSISTENT_DECODE */
    "gluon_paged_decode",    /* ATTNROUTE_ROUTE_GLUON_PAGED_DECODE */
    "asm_pa_fwd",            /* ATTNROUTE_ROUTE_ASM_PA_FWD */
    "dense_varlen",          /* ATTNROUTE_ROUTE_DENSE_VARLEN */
    "engine_error",          /* ATTNROUTE_ROUTE_ENGINE_ERROR */
};

/*
** Name of a legacy route; "unknown" when out of range.
*/
const char *attnroute_route_name(int route) {
  if (route < 0 || route >= ATTNROUTE_NUM_ROUTES) return "unknown";
  return route_names[route];
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
