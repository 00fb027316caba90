/*
** test_device.c -- a table is bound only to the device it was built for:
** arch name AND CU count must match (gfx950 and gfx1250 both report 256
** CUs), and the table ABI and struct size must be this library's.  A
** refused table leaves r->table NULL and every select is answered by the
** legacy policy with the refusal as the reason.
*/
#include "test_util.h"

static const int32_t one[] = {1, 1 << 20}, zero[] = {0, 1 << 20};
static uint8_t cells[32 * ATTNROUTE_TOPK];
static attnroute_candidate cand;
static attnroute_class cls;

static attnroute_table make_table(void) {
  attnroute_table t;
  int a;
  cand.name = "paged.bm64";
  cand.code_hash = "";
  cand.legacy_route = ATTNROUTE_ROUTE_TRITON_PAGED;
  cand.caps = tu_caps_any();
  cls = tu_gptoss_class(ATTNROUTE_LOOKUP_NEAREST_LOG);
  for (a = 0; a < ATTNROUTE_NUM_AXES; a++) {
    cls.axis_len[a] = 2;
    cls.axis_values[a] = a == ATTNROUTE_AXIS_CACHED ? zero : one;
  }
  memset(cells, 0, sizeof cells); /* every slot: candidate 0 */
  cls.cells = cells;
  memset(&t, 0, sizeof t);
  t.abi = ATTNROUTE_TABLE_ABI;
  t.struct_size = sizeof t;
  t.arch = "gfx1250";
  t.cu_count = 256;
  t.device_name = "AMD Instinct MI450";
  t.provenance = "tests/runtime/test_device.c";
  t.num_candidates = 1;
  t.candidates = &cand;
  t.num_classes = 1;
  t.classes = &cls;
  return t;
}

/* Binding `t` as (arch, cu) gives `want`; a refused router answers every
** select from the legacy policy with that reason. */
static void expect_bind(const attnroute_table *t, const char *arch, int32_t cu, int want) {
  attnroute_router r;
  attnroute_choice c;
  attnroute_problem p = tu_gptoss();
  attnroute_miss_counter m;
  memset(&r, 0x5a, sizeof r); /* init must overwrite everything */
  CHECK_EQ(attnroute_router_init(&r, t, arch, cu), want);
  CHECK_EQ(r.bind_status, want);
  CHECK_EQ(r.policy, ATTNROUTE_POLICY_POST_1345);
  CHECK_EQ(r.env.use_unified_attn, 0); /* ATOM_USE_UNIFIED_ATTN is off unless "1" */
  CHECK_EQ(r.env.flash_layout, 0);
  CHECK_EQ(r.env.cu_count, 256);
  CHECK(r.unavailable == NULL);
  CHECK(r.on_miss == NULL);
  CHECK(r.miss_user == NULL);
  memset(&m, 0, sizeof m);
  r.on_miss = attnroute_miss_count;
  r.miss_user = &m;
  CHECK_EQ(attnroute_select(&r, &p, &c), want);
  if (want == ATTNROUTE_OK) {
    CHECK(r.table == t);
    CHECK_EQ(c.candidate, 0);
    CHECK_EQ(c.from_table, 1);
    CHECK_EQ(m.total, 0);
  } else {
    CHECK(r.table == NULL);
    CHECK_EQ(c.from_table, 0);
    CHECK_EQ(c.reason, want);
    CHECK_EQ(c.candidate, -1); /* a refused table names nothing */
    CHECK_EQ(c.route, ATTNROUTE_ROUTE_DENSE_SINK_ASM);
    CHECK_STR(c.name, "legacy:dense_sink_asm");
    CHECK_EQ(m.total, 1);
    CHECK_EQ(m.by_reason[want], 1);
  }
}

int main(void) {
  attnroute_table t = make_table(), u;
  expect_bind(&t, "gfx1250", 256, ATTNROUTE_OK);
  /* Other arch, same CU count (the gfx950 / gfx1250 collision). */
  expect_bind(&t, "gfx950", 256, ATTNROUTE_DEVICE_MISMATCH);
  expect_bind(&t, "gfx1250:sramecc+", 256, ATTNROUTE_DEVICE_MISMATCH);
  expect_bind(&t, "gfx125", 256, ATTNROUTE_DEVICE_MISMATCH);
  expect_bind(&t, "GFX1250", 256, ATTNROUTE_DEVICE_MISMATCH);
  expect_bind(&t, "", 256, ATTNROUTE_DEVICE_MISMATCH);
  expect_bind(&t, NULL, 256, ATTNROUTE_DEVICE_MISMATCH);
  /* Same arch, other CU count (another SKU). */
  expect_bind(&t, "gfx1250", 128, ATTNROUTE_DEVICE_MISMATCH);
  expect_bind(&t, "gfx1250", 0, ATTNROUTE_DEVICE_MISMATCH);
  expect_bind(&t, "gfx1250", -256, ATTNROUTE_DEVICE_MISMATCH);
  /* A table without an arch matches nothing. */
  u = t;
  u.arch = NULL;
  expect_bind(&u, "gfx1250", 256, ATTNROUTE_DEVICE_MISMATCH);
  /* Wrong table ABI, or a struct of another size. */
  u = t;
  u.abi = ATTNROUTE_TABLE_ABI + 1;
  expect_bind(&u, "gfx1250", 256, ATTNROUTE_ABI_MISMATCH);
  u = t;
  u.abi = 0;
  expect_bind(&u, "gfx1250", 256, ATTNROUTE_ABI_MISMATCH);
  u = t;
  u.struct_size = (uint32_t)sizeof(attnroute_table) - 8;
  expect_bind(&u, "gfx1250", 256, ATTNROUTE_ABI_MISMATCH);
  u = t;
  u.struct_size = (uint32_t)sizeof(attnroute_table) + 8;
  expect_bind(&u, "gfx1250", 256, ATTNROUTE_ABI_MISMATCH);
  /* ABI is checked before the device. */
  u.arch = "sm_90";
  expect_bind(&u, "gfx1250", 256, ATTNROUTE_ABI_MISMATCH);
  /* No table at all. */
  expect_bind(NULL, "gfx1250", 256, ATTNROUTE_NO_TABLE);
  expect_bind(NULL, NULL, 0, ATTNROUTE_NO_TABLE);
  CHECK_EQ(attnroute_router_init(NULL, &t, "gfx1250", 256), ATTNROUTE_BAD_ARGUMENT);

  /* A table edited after binding to another ABI is refused at select. */
  {
    attnroute_router r;
    attnroute_choice c;
    attnroute_problem p = tu_gptoss();
    u = t;
    CHECK_EQ(attnroute_router_init(&r, &u, "gfx1250", 256), ATTNROUTE_OK);
    u.abi = 99;
    CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_ABI_MISMATCH);
    CHECK_EQ(c.candidate, -1);
    /* A router whose table was cleared by hand reports NO_TABLE. */
    u.abi = ATTNROUTE_TABLE_ABI;
    r.table = NULL;
    CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_NO_TABLE);
    r.bind_status = 12345;
    CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_NO_TABLE);
  }
  /* A table set by hand is checked against the bound device at select:
  ** another device's table never answers; this device's does. */
  {
    attnroute_table other = t;
    attnroute_router r;
    attnroute_choice c;
    attnroute_problem p = tu_gptoss();
    int own;
    other.arch = "sm_90";
    other.cu_count = 132;
    CHECK_EQ(attnroute_router_init(&r, &t, "gfx1250", 256), ATTNROUTE_OK);
    own = attnroute_select(&r, &p, &c);
    r.table = &other;
    CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_DEVICE_MISMATCH);
    CHECK_EQ(c.from_table, 0);
    other = t; /* same device, another table object */
    CHECK_EQ(attnroute_select(&r, &p, &c), own);
    /* Refused at init (another device): a table set by hand is still checked. */
    other.arch = "sm_90";
    CHECK_EQ(attnroute_router_init(&r, &other, "gfx1250", 256), ATTNROUTE_DEVICE_MISMATCH);
    r.table = &other;
    CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_DEVICE_MISMATCH);
    r.table = &t;
    CHECK_EQ(attnroute_select(&r, &p, &c), own);
  }
  return check_finish("test_device");
}
