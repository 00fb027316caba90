/*
** fuzz_note.c -- libFuzzer target for the code-object metadata reader
** (tuner/candidates/amdgpu_note.h) and the aiter ABI rules on what it reads.
** Byte 0 picks the input: even, the rest is a whole object; odd, the rest
** is a note descriptor (MessagePack), wrapped into an AMDGPU object by
** note_fixture.c so mutations reach the MessagePack reader.  Every parse
** must succeed with sane fields or fail with a message naming the input;
** ASan/UBSan turn a bad access into a crash.  Built only with a libFuzzer
** compiler (tests/hip/CMakeLists.txt); tests/reliability/fuzz_campaign.sh
** runs it long; the deterministic fuzz in test_aiter_abi.c runs in CI.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aiter_abi.h"
#include "amdgpu_note.h"
#include "note_fixture.h"

static unsigned char obj[1u << 17];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const unsigned char *in = data + 1;
  size_t n = size - 1;
  if (data[0] & 1) {
    if (n > sizeof obj - 512) return 0;
    n = nf_elf(in, n, 0xE0, obj, sizeof obj);
    if (!n) return 0;
    in = obj;
  }
  ar_amdgpu_kernel_meta m;
  char err[512] = "";
  int rc = ar_amdgpu_note_parse(in, n, "fuzz", (data[0] & 2) ? NULL : "k", &m, err, sizeof err);
  if (rc == 0) {
    if (m.nargs < 0 || m.nargs > AR_AMDGPU_MAX_ARGS || m.nargs > m.args_total) abort();
    char how[320], why[512];
    (void)ar_aiter_sv_abi_select(&m, "fuzz", NULL, NULL, how, sizeof how, why, sizeof why);
    (void)ar_aiter_pd_abi_check(&m, "fuzz", why, sizeof why);
    (void)ar_aiter_lds_check(&m, "fuzz", 65536, why, sizeof why);
  } else if (rc != -1 || strncmp(err, "fuzz: ", 6) != 0) {
    abort();
  }
  return 0;
}
