/*
** router.c -- binding a table to the device (attnroute_router_init) and
** answering one attention call (attnroute_select): the table's first
** ranked candidate that is available and capable, else the legacy policy.
*/
#include <stddef.h>
#include <string.h>

#include "internal.h"

/* r's defaults: post-1345 policy, default env, no hook, no table. */
static void router_defaults(attnroute_router *r) {
  r->table = NULL;
  r->policy = ATTNROUTE_POLICY_POST_1345;
  attnroute_env_init(&r->env);
  r->unavailable = NULL;
  r->on_miss = NULL;
  r->miss_user = NULL;
  r->bound_table = NULL;
  r->bound_cu_count = 0;
  r->bound_arch[0] = '\0';
}

/* Remember the device r was bound to (a longer arch is not kept: a table
** set by hand then never matches) and the table that passed. */
static void remember_binding(attnroute_router *r, const char *arch, int32_t cu_count) {
  size_t n = arch ? strlen(arch) : 0;
  if (arch && n < sizeof r->bound_arch) memcpy(r->bound_arch, arch, n + 1);
  r->bound_cu_count = cu_count;
  r->bound_table = r->table;
}

/* ATTNROUTE_OK when table has this ABI and was tuned on (arch, cu_count),
** else NO_TABLE, ABI_MISMATCH or DEVICE_MISMATCH. */
static int check_table(const attnroute_table *table, const char *arch, int32_t cu_count) {
  if (!table) return ATTNROUTE_NO_TABLE;
  if (table->abi != ATTNROUTE_TABLE_ABI || table->struct_size != (uint32_t)sizeof(attnroute_table))
    return ATTNROUTE_ABI_MISMATCH;
  if (!arch || !table->arch || strcmp(arch, table->arch) != 0 || cu_count != table->cu_count)
    return ATTNROUTE_DEVICE_MISMATCH;
  return ATTNROUTE_OK;
}

/*
** Initialise r and bind `table` if it was built with this table ABI for
** this device: arch names equal and CU counts equal (siblings are not told
** apart: see the header).  Returns ATTNROUTE_OK or why the table was refused
** (ATTNROUTE_NO_TABLE, ATTNROUTE_ABI_MISMATCH, ATTNROUTE_DEVICE_MISMATCH),
** also kept in r->bind_status; r->table is then NULL.  A NULL r returns
** ATTNROUTE_BAD_ARGUMENT.
*/
int attnroute_router_init(attnroute_router *r, const attnroute_table *table,
                          const char *arch, int32_t cu_count) {
  int status;
  if (!r) return ATTNROUTE_BAD_ARGUMENT;
  router_defaults(r);
  status = check_table(table, arch, cu_count);
  if (status == ATTNROUTE_OK) r->table = table;
  r->bind_status = status;
  remember_binding(r, arch, cu_count);
  return status;
}

void attnroute_device_init(attnroute_device *d) {
  if (!d) return;
  d->arch = NULL;
  d->cu_count = 0;
  d->memory_bytes = 0;
  d->product = NULL;
  d->allow_sibling = 0;
}

static int blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* The next character of s in normalised form (lower case, a run of blanks
** as one ' ', none leading or trailing), advancing *s; '\0' at the end. */
static char next_norm(const char **s) {
  const char *p = *s;
  if (blank(*p)) {
    while (blank(*p)) p++;
    *s = p;
    return *p ? ' ' : '\0';
  }
  if (*p) *s = p + 1;
  return lower(*p);
}

/* Product names equal, ignoring case, leading/trailing blanks and the
** length of runs of blanks. */
static int same_product(const char *a, const char *b) {
  char ca, cb;
  while (blank(*a)) a++;
  while (blank(*b)) b++;
  do {
    ca = next_norm(&a);
    cb = next_norm(&b);
    if (ca != cb) return 0;
  } while (ca != '\0');
  return 1;
}

static int known(const char *s) {
  if (!s) return 0;
  while (blank(*s)) s++;
  return *s != '\0';
}

int attnroute_router_init_device(attnroute_router *r, const attnroute_table *table,
                                 const attnroute_device *d) {
  int status;
  if (!r) return ATTNROUTE_BAD_ARGUMENT;
  router_defaults(r);
  if (!d) {
    r->bind_status = ATTNROUTE_BAD_ARGUMENT;
    return ATTNROUTE_BAD_ARGUMENT;
  }
  status = check_table(table, d->arch, d->cu_count);
  if (status == ATTNROUTE_OK) {
    int sibling = 0;
    if (table->memory_mib > 0 && d->memory_bytes > 0) {
      uint64_t t = (uint64_t)table->memory_mib, m = d->memory_bytes >> 20;
      uint64_t hi = t > m ? t : m, diff = t > m ? t - m : m - t;
      if (diff * 25 > hi) sibling = 1; /* more than 4% apart */
    }
    if (known(table->product) && known(d->product) && !same_product(table->product, d->product))
      sibling = 1;
    if (sibling) status = d->allow_sibling ? ATTNROUTE_SIBLING_ALLOWED : ATTNROUTE_SIBLING_DEVICE;
  }
  if (status == ATTNROUTE_OK || status == ATTNROUTE_SIBLING_ALLOWED) r->table = table;
  r->bind_status = status;
  remember_binding(r, d->arch, d->cu_count);
  return status;
}

/* Whether candidate k of t can run p on this engine: in range, named, not
** marked unavailable, and its caps allow p. */
static int usable(const attnroute_table *t, const unsigned char *unavailable,
                  int32_t k, const attnroute_problem *p) {
  const attnroute_candidate *cand;
  if (k < 0 || k >= t->num_candidates || !t->candidates) return 0;
  if (unavailable && unavailable[k]) return 0;
  cand = &t->candidates[k];
  return cand->name != NULL && attnroute_caps_allow(&cand->caps, p);
}

int attnroute_legacy_standin(const attnroute_table *t, const unsigned char *unavailable,
                             int route, const attnroute_problem *p) {
  int32_t k;
  if (!t || !p || route < 0) return -1;
  for (k = 0; k < t->num_candidates && t->candidates; k++)
    if (t->candidates[k].legacy_route == route && usable(t, unavailable, k, p)) return k;
  return -1;
}

/* The first usable candidate of a cell's ranking, written to *c.  Returns
** ATTNROUTE_OK, ATTNROUTE_UNSUPPORTED (some slot named a candidate, none
** usable) or ATTNROUTE_EMPTY_CELL (no slot named a candidate of t). */
static int pick(const attnroute_table *t, const unsigned char *unavailable,
                const attnroute_problem *p, const uint8_t *slots,
                attnroute_choice *c) {
  int i, named = 0;
  for (i = 0; i < ATTNROUTE_TOPK; i++) {
    int32_t k = slots[i];
    if (k == ATTNROUTE_NO_CANDIDATE || k >= t->num_candidates || !t->candidates)
      continue;
    named = 1;
    if (!usable(t, unavailable, k, p)) continue;
    c->candidate = k;
    c->name = t->candidates[k].name;
    c->from_table = 1;
    c->reason = ATTNROUTE_OK;
    c->route = -1;
    c->rank = i;
    return ATTNROUTE_OK;
  }
  return named ? ATTNROUTE_UNSUPPORTED : ATTNROUTE_EMPTY_CELL;
}

static const char *const legacy_names[ATTNROUTE_NUM_ROUTES] = {
#define ATTNROUTE__LEGACY_NAME(name, value, text) [value] = "legacy:" text,
    ATTNROUTE_ROUTE_LIST(ATTNROUTE__LEGACY_NAME)
#undef ATTNROUTE__LEGACY_NAME
};

/* Fills *c with the legacy policy's answer for `reason`.  A table candidate
** standing in for the legacy route is named only when the table and the
** problem were sound (the reason is a miss, not a refusal or bad input). */
static void legacy_answer(const attnroute_router *r, const attnroute_problem *p,
                          int reason, attnroute_choice *c) {
  int policy = r ? r->policy : ATTNROUTE_POLICY_POST_1345;
  int route = attnroute_legacy_route(policy, r ? &r->env : NULL, p);
  c->candidate = -1;
  c->name = (route >= 0 && route < ATTNROUTE_NUM_ROUTES) ? legacy_names[route]
                                                         : "legacy:unknown";
  c->from_table = 0;
  c->reason = reason;
  c->route = route;
  c->rank = -1;
  if (reason == ATTNROUTE_NO_CLASS || reason == ATTNROUTE_OUT_OF_DOMAIN ||
      reason == ATTNROUTE_EMPTY_CELL || reason == ATTNROUTE_UNSUPPORTED) {
    int k = attnroute_legacy_standin(r->table, r->unavailable, route, p);
    if (k >= 0) {
      c->candidate = k;
      c->name = r->table->candidates[k].name;
    }
  }
}

/*
** Choose the kernel for p.  Fills *out (a local when out is NULL), calls
** r->on_miss when the table did not answer, and returns the reason.
** Order of checks: NULL r or p (BAD_ARGUMENT); no table bound (the bind
** status, or NO_TABLE); table ABI (ABI_MISMATCH); a table set by hand for another
** device than the bound one (DEVICE_MISMATCH); problem validity (BAD_PROBLEM); class
** (NO_CLASS); class domain (OUT_OF_DOMAIN); cell (EMPTY_CELL); candidates
** (UNSUPPORTED).
*/
int attnroute_select(const attnroute_router *r, const attnroute_problem *p,
                     attnroute_choice *out) {
  attnroute_choice local;
  attnroute_choice *c = out ? out : &local;
  const attnroute_table *t = r ? r->table : NULL;
  const attnroute_class *cls;
  const uint8_t *slots = NULL;
  int status;

  if (!r || !p)
    status = ATTNROUTE_BAD_ARGUMENT;
  else if (!t)
    status = (r->bind_status > ATTNROUTE_OK && r->bind_status < ATTNROUTE_NUM_STATUS)
                 ? r->bind_status
                 : ATTNROUTE_NO_TABLE;
  else if (t->abi != ATTNROUTE_TABLE_ABI ||
           t->struct_size != (uint32_t)sizeof(attnroute_table))
    status = ATTNROUTE_ABI_MISMATCH;
  else if (t != r->bound_table && check_table(t, r->bound_arch, r->bound_cu_count) != ATTNROUTE_OK)
    status = ATTNROUTE_DEVICE_MISMATCH; /* set by hand: is it this device's? */
  else if (attnroute_problem_check(p) != ATTNROUTE_OK)
    status = ATTNROUTE_BAD_PROBLEM;
  else if (!(cls = attnroute__class_find(t, p)))
    status = ATTNROUTE_NO_CLASS;
  else if ((status = attnroute__class_lookup(cls, p, &slots)) == ATTNROUTE_OK &&
           (status = pick(t, r->unavailable, p, slots, c)) == ATTNROUTE_OK)
    return ATTNROUTE_OK;

  legacy_answer(r, p, status, c);
  if (r && r->on_miss) r->on_miss(r->miss_user, p, c);
  return c->reason;
}
