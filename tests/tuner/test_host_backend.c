/*
** test_host_backend.c -- the host backend's vtable: device info, memory and
** copies, the built-in module, launch argument checking, events, and the
** error text of every failure path.
*/
#include <stdint.h>

#include "attn_args.h"
#include "host_kernels.h"
#include "test_host_util.h"

static void test_info(ar_backend *b) {
  ar_device_info di;
  CHECK(b->ops->version == AR_BACKEND_VERSION);
  CHECK(strcmp(b->ops->name, "host") == 0);
  CHECK(b->ops->device_info(b, &di) == 0);
  CHECK(strcmp(di.vendor, "host") == 0);
  CHECK(di.arch[0] != 0);
  CHECK(di.cu_count == 1);
  CHECK(di.name[0] != 0);
  CHECK(di.memory_bytes > 0);
  CHECK(di.driver_version[0] != 0);
  CHECK(di.runtime_version[0] != 0);
  CHECK(memchr(di.runtime_version, 0, sizeof di.runtime_version) != NULL);
}

static void test_memory(ar_backend *b) {
  ar_buf x = 0, y = 0, z = 0;
  uint32_t in[37], out[37];
  for (int i = 0; i < 37; i++) in[i] = (uint32_t)i * 2654435761u;
  CHECK(b->ops->alloc(b, sizeof in, &x) == 0 && x != 0 && x % 64 == 0);
  CHECK(b->ops->alloc(b, sizeof in, &y) == 0 && y != 0 && y % 64 == 0);
  CHECK(b->ops->alloc(b, 0, &z) == 0 && z != 0);
  CHECK(b->ops->upload(b, x, in, sizeof in) == 0);
  CHECK(b->ops->upload(b, y, in, sizeof in) == 0);
  memset(out, 0, sizeof out);
  CHECK(b->ops->download(b, out, x, sizeof out) == 0);
  CHECK(memcmp(in, out, sizeof in) == 0);
  memset(out, 0, sizeof out);
  CHECK(b->ops->download(b, out, y, sizeof out) == 0);
  CHECK(memcmp(in, out, sizeof in) == 0);
  CHECK(b->ops->fill32(b, y, 0x7FC07FC0u, sizeof in) == 0);
  CHECK(b->ops->download(b, out, y, sizeof out) == 0);
  for (int i = 0; i < 37; i++) CHECK(out[i] == 0x7FC07FC0u);
  /* error paths */
  CHECK(b->ops->fill32(b, y, 0, 6) == -1);
  CHECK(strstr(b->ops->error_text(b), "multiple of 4") != NULL);
  CHECK(b->ops->upload(b, 0, in, 4) == -1);
  CHECK(strstr(b->ops->error_text(b), "upload") != NULL);
  CHECK(b->ops->download(b, out, 0, 4) == -1);
  ar_buf huge = 1;
  CHECK(b->ops->alloc(b, SIZE_MAX - 8, &huge) == -1 && huge == 0);
  CHECK(strstr(b->ops->error_text(b), "alloc") != NULL);
  b->ops->free(b, x);
  b->ops->free(b, y);
  b->ops->free(b, z);
  b->ops->free(b, 0);
}

static void test_modules(ar_backend *b) {
  void *mod = (void *)1, *fn = (void *)1;
  CHECK(b->ops->module_load(b, "attn_dense.sm_90.cubin", &mod) == -1 && mod == NULL);
  CHECK(strstr(b->ops->error_text(b), "attn_dense.sm_90.cubin") != NULL);
  CHECK(b->ops->module_load(b, "host", &mod) == 0 && mod != NULL);
  CHECK(b->ops->module_function(b, mod, "host_no_such_kernel", &fn) == -1 && fn == NULL);
  CHECK(strstr(b->ops->error_text(b), "host_no_such_kernel") != NULL);
  CHECK(b->ops->module_function(b, (void *)&fn, "host_gather", &fn) == -1);
  int n = 0;
  const ar_host_kernel *ks = ar_host_kernels(&n);
  CHECK(n >= 7);
  for (int i = 0; i < n; i++) {
    CHECK(b->ops->module_function(b, mod, ks[i].symbol, &fn) == 0 && fn != NULL);
    CHECK(ar_host_kernel_find(ks[i].symbol) == &ks[i]);
  }
  const char *need[] = {"host_gather",        "host_dense_sink_q1_bk16", "host_dense_sink_q16_bk64",
                        "host_paged_q1_bk16", "host_paged_q16_bk64",     "host_paged_split",
                        "host_reduce"};
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
    CHECK(ar_host_kernel_find(need[i]) != NULL);

  /* launch: wrong argument size is refused and the kernel does not run */
  uint16_t out[16];
  for (int i = 0; i < 16; i++) out[i] = 0x7FC0;
  ar_reduce_args r;
  memset(&r, 0, sizeof r);
  float po[32] = {0}, ml[4] = {0, 1, 0, 1};
  for (int i = 0; i < 32; i++) po[i] = 1.0f;
  r.out = (uint64_t)(uintptr_t)out;
  r.part_out = (uint64_t)(uintptr_t)po;
  r.part_ml = (uint64_t)(uintptr_t)ml;
  r.total_q = 1;
  r.num_q_heads = 1;
  r.head_dim = 16;
  r.num_splits = 2;
  unsigned g[3] = {1, 1, 1};
  CHECK(b->ops->module_function(b, mod, "host_reduce", &fn) == 0);
  CHECK(b->ops->launch(b, fn, g, g, 0, &r, sizeof r - 4) == -1);
  CHECK(strstr(b->ops->error_text(b), "host_reduce") != NULL);
  CHECK(strstr(b->ops->error_text(b), "bytes") != NULL);
  CHECK(out[0] == 0x7FC0);
  CHECK(b->ops->launch(b, fn, g, g, 0, &r, sizeof(ar_paged_args)) == -1);
  CHECK(b->ops->launch(b, fn, g, g, 0, NULL, sizeof r) == -1);
  CHECK(b->ops->launch(b, (void *)out, g, g, 0, &r, sizeof r) == -1);
  CHECK(strstr(b->ops->error_text(b), "not a host kernel") != NULL);
  /* the right size runs: two splits of equal weight, each output 1 */
  CHECK(b->ops->launch(b, fn, g, g, 0, &r, sizeof r) == 0);
  CHECK(b->ops->synchronize(b) == 0);
  for (int i = 0; i < 16; i++) CHECK(out[i] == ar_float_to_bf16(1.0f));
  b->ops->module_unload(b, mod);
}

static void test_events(ar_backend *b) {
  void *e0 = NULL, *e1 = NULL;
  float ms = -1.0f;
  CHECK(b->ops->event_create(b, &e0) == 0 && e0);
  CHECK(b->ops->event_create(b, &e1) == 0 && e1);
  CHECK(b->ops->event_record(b, e0) == 0);
  if (b->ops->flush_cache) CHECK(b->ops->flush_cache(b) == 0);
  CHECK(b->ops->event_record(b, e1) == 0);
  CHECK(b->ops->event_elapsed_ms(b, e0, e1, &ms) == 0);
  CHECK(ms >= 0.0f && ms < 60000.0f);
  CHECK(b->ops->event_record(b, NULL) == -1);
  b->ops->event_destroy(b, e0);
  b->ops->event_destroy(b, e1);
}

int main(void) {
  ar_backend *b = NULL;
  char err[256] = "";
  CHECK(ar_backend_open("host", &b, err, sizeof err) == 0 && b);
  test_info(b);
  test_memory(b);
  test_modules(b);
  test_events(b);
  b->ops->destroy(b);
  printf("test_host_backend: ok\n");
  return 0;
}
