// test_header_cxx.cpp -- attnroute.h compiled as C++ (extern "C" linkage,
// no C-only constructs): calls into the C library, so a header that only
// parsed but declared the wrong linkage would fail to link.
#include "attnroute.h"

#include <cstdio>
#include <cstring>

int main() {
  attnroute_router r;
  attnroute_problem p;
  attnroute_choice c;
  attnroute_problem_init(&p);
  p.num_seqs = 1;
  p.max_seqlen_q = 1;
  p.max_seqlen_k = 100;
  p.num_q_heads = 8;
  p.num_kv_heads = 1;
  p.head_dim = 64;
  p.kv_block_size = 256;
  int bind = attnroute_router_init(&r, nullptr, "sm_90", 132);
  int reason = attnroute_select(&r, &p, &c);
  bool ok = attnroute_version() == ATTNROUTE_VERSION && bind == ATTNROUTE_NO_TABLE &&
            reason == ATTNROUTE_NO_TABLE && c.route == ATTNROUTE_ROUTE_GLUON_PAGED_DECODE &&
            std::strcmp(c.name, "legacy:gluon_paged_decode") == 0 &&
            std::strcmp(attnroute_status_str(ATTNROUTE_NO_TABLE), "no table bound") == 0;
  std::printf("test_header_cxx: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
