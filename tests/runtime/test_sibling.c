/*
** test_sibling.c -- sibling devices (same arch and CU count: H100 / H200,
** MI300X / MI325X) told apart at bind time by attnroute_router_init_device:
** memory size (4% tolerance) and product name (case and blanks ignored),
** each compared only where both sides know it; a sibling's table refused
** with ATTNROUTE_SIBLING_DEVICE (every select then legacy, that reason), or
** bound on the engine's opt-in with ATTNROUTE_SIBLING_ALLOWED (selects
** answer from the table).  And the old attnroute_router_init: it compares
** arch and CU count only, so it binds a sibling's table, status OK.
*/
#include "test_util.h"

static const int32_t one[] = {1, 1 << 20}, zero[] = {0, 1 << 20};
static uint8_t cells[32 * ATTNROUTE_TOPK];
static attnroute_candidate cand;
static attnroute_class cls;

/* The shipped H100 table's identity: sm_90, 132 SMs, 81080 MiB. */
static attnroute_table h100_table(void) {
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
  memset(cells, 0, sizeof cells);
  cls.cells = cells;
  memset(&t, 0, sizeof t);
  t.abi = ATTNROUTE_TABLE_ABI;
  t.struct_size = sizeof t;
  t.arch = "sm_90";
  t.cu_count = 132;
  t.device_name = "NVIDIA H100 80GB HBM3";
  t.provenance = "tests/runtime/test_sibling.c";
  t.num_candidates = 1;
  t.candidates = &cand;
  t.num_classes = 1;
  t.classes = &cls;
  t.memory_mib = 81080; /* 85017493504 bytes */
  t.product = "NVIDIA H100 80GB HBM3";
  return t;
}

static attnroute_device device(const char *arch, int32_t cu, uint64_t mem, const char *product, int allow) {
  attnroute_device d;
  memset(&d, 0x5a, sizeof d);
  attnroute_device_init(&d);
  CHECK(d.arch == NULL && d.cu_count == 0 && d.memory_bytes == 0 && d.product == NULL && d.allow_sibling == 0);
  d.arch = arch;
  d.cu_count = cu;
  d.memory_bytes = mem;
  d.product = product;
  d.allow_sibling = allow;
  return d;
}

/* Bind t to d: want as the status; a bound table answers selects with OK. */
static void expect(const attnroute_table *t, const attnroute_device *d, int want) {
  attnroute_router r;
  attnroute_choice c;
  attnroute_problem p = tu_gptoss();
  memset(&r, 0x5a, sizeof r);
  CHECK_EQ(attnroute_router_init_device(&r, t, d), want);
  CHECK_EQ(r.bind_status, want);
  CHECK_EQ(r.policy, ATTNROUTE_POLICY_POST_1345);
  CHECK(r.on_miss == NULL && r.unavailable == NULL);
  int bound = want == ATTNROUTE_OK || want == ATTNROUTE_SIBLING_ALLOWED;
  CHECK(bound ? r.table == t : r.table == NULL);
  int got = attnroute_select(&r, &p, &c);
  if (bound) {
    CHECK_EQ(got, ATTNROUTE_OK);
    CHECK_EQ(c.from_table, 1);
    CHECK_EQ(c.candidate, 0);
  } else {
    CHECK_EQ(got, want);
    CHECK_EQ(c.reason, want);
    CHECK_EQ(c.from_table, 0);
    CHECK_EQ(c.candidate, -1);
  }
}

int main(void) {
  attnroute_table t = h100_table(), u;
  const uint64_t h100 = 85017493504ull, h200 = 150754820096ull; /* as the drivers report them */
  attnroute_device d;

  d = device("sm_90", 132, h100, "NVIDIA H100 80GB HBM3", 0);
  expect(&t, &d, ATTNROUTE_OK);
  d = device("sm_90", 132, h100 - (h100 / 50), "  nvidia  h100 80gb   HBM3 ", 0); /* 2% less, blanks */
  expect(&t, &d, ATTNROUTE_OK);
  /* The H200: same arch, same SM count, other memory and product. */
  d = device("sm_90", 132, h200, "NVIDIA H200", 0);
  expect(&t, &d, ATTNROUTE_SIBLING_DEVICE);
  d.allow_sibling = 1;
  expect(&t, &d, ATTNROUTE_SIBLING_ALLOWED);
  /* Memory alone, product alone. */
  d = device("sm_90", 132, h200, NULL, 0);
  expect(&t, &d, ATTNROUTE_SIBLING_DEVICE);
  d = device("sm_90", 132, 0, "NVIDIA H200", 0);
  expect(&t, &d, ATTNROUTE_SIBLING_DEVICE);
  d = device("sm_90", 132, h100 + h100 / 20, NULL, 0); /* 5% more: another size */
  expect(&t, &d, ATTNROUTE_SIBLING_DEVICE);
  d = device("sm_90", 132, h100, "NVIDIA H100 80GB HBM3e", 0); /* one letter more */
  expect(&t, &d, ATTNROUTE_SIBLING_DEVICE);
  d = device("sm_90", 132, h100, "NVIDIA H100 80GB", 0);
  expect(&t, &d, ATTNROUTE_SIBLING_DEVICE);
  /* Unknown on the device side: not compared. */
  d = device("sm_90", 132, 0, NULL, 0);
  expect(&t, &d, ATTNROUTE_OK);
  d = device("sm_90", 132, 0, "   ", 0);
  expect(&t, &d, ATTNROUTE_OK);
  /* Unknown in the table (an ABI-2 table from a db without device memory). */
  u = t;
  u.memory_mib = 0;
  u.product = NULL;
  d = device("sm_90", 132, h200, "NVIDIA H200", 0);
  expect(&u, &d, ATTNROUTE_OK);
  u.product = "";
  expect(&u, &d, ATTNROUTE_OK);
  /* MI300X table on an MI325X: 192 vs 256 GB, gfx942, 304 CUs. */
  u = t;
  u.arch = "gfx942";
  u.cu_count = 304;
  u.memory_mib = 196592;
  u.product = "AMD Instinct MI300X";
  d = device("gfx942", 304, 274877906944ull, "AMD Instinct MI325X", 0);
  expect(&u, &d, ATTNROUTE_SIBLING_DEVICE);
  d.allow_sibling = 7;
  expect(&u, &d, ATTNROUTE_SIBLING_ALLOWED);
  /* Arch and CU count are still checked first; opting in does not help. */
  d = device("sm_90", 114, h100, "NVIDIA H100 80GB HBM3", 1);
  expect(&t, &d, ATTNROUTE_DEVICE_MISMATCH);
  d = device("sm_100", 132, h100, "NVIDIA H100 80GB HBM3", 1);
  expect(&t, &d, ATTNROUTE_DEVICE_MISMATCH);
  u = t;
  u.abi = ATTNROUTE_TABLE_ABI - 1;
  d = device("sm_90", 132, h100, NULL, 1);
  expect(&u, &d, ATTNROUTE_ABI_MISMATCH);
  expect(NULL, &d, ATTNROUTE_NO_TABLE);
  /* NULL device and NULL router. */
  {
    attnroute_router r;
    attnroute_choice c;
    attnroute_problem p = tu_gptoss();
    CHECK_EQ(attnroute_router_init_device(&r, &t, NULL), ATTNROUTE_BAD_ARGUMENT);
    CHECK(r.table == NULL);
    CHECK_EQ(attnroute_select(&r, &p, &c), ATTNROUTE_BAD_ARGUMENT);
    CHECK_EQ(c.from_table, 0);
    CHECK_EQ(attnroute_router_init_device(NULL, &t, &d), ATTNROUTE_BAD_ARGUMENT);
  }
  /* The old init: arch and CU count only; a sibling's table binds, OK. */
  {
    attnroute_router r;
    CHECK_EQ(attnroute_router_init(&r, &t, "sm_90", 132), ATTNROUTE_OK);
    CHECK(r.table == &t);
  }
  CHECK_STR(attnroute_status_str(ATTNROUTE_SIBLING_ALLOWED),
            "bound a sibling device's table: the engine opted in (allow_sibling); selects answer from it");
  return check_finish("test_sibling");
}
