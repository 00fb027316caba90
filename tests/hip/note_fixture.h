/*
** note_fixture.h -- build small AMDGPU code objects for tests: an ELF64
** header (e_machine EM_AMDGPU), one SHT_NOTE section holding an
** NT_AMDGPU_METADATA note whose MessagePack map describes the kernels given,
** and a section-name table.  No code: the objects are for the metadata
** reader (tuner/candidates/amdgpu_note.h) and the aiter ABI rules (tuner/candidates/aiter_abi.h),
** and for the fixture aiter tree (tests/hip/fixtures), whose .co files are
** written by `test_hip_aiter_abi --write-fixtures DIR` and checked against this
** builder on every run.  The argument lists are those of aiter's objects as
** their notes list them (read from the objects at aiter e4048607).
*/
#ifndef AR_TESTS_NOTE_FIXTURE_H
#define AR_TESTS_NOTE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

typedef struct nf_arg {
  int offset, size;
  const char *kind; /* ".value_kind" */
  const char *type; /* ".value_type" or NULL */
} nf_arg;

typedef struct nf_kernel {
  const char *name;     /* .name; .symbol is name + ".kd" */
  int64_t kernarg;      /* .kernarg_segment_size; < 0: left out */
  int64_t lds;          /* .group_segment_fixed_size; < 0: left out */
  const nf_arg *args;   /* NULL: no .args */
  int nargs;
} nf_kernel;

/* aiter's argument lists: the 88-byte sink-varlen objects (14 arguments),
** the 132-byte ones of e6c7333e (27), pa_decode_bf16_asm's 176-byte one (22). */
extern const nf_arg nf_sink_varlen_88[14];
extern const nf_arg nf_sink_varlen_132[27];
extern const nf_arg nf_pa_decode_176[22];

/* The MessagePack metadata map for kernels k[0..nk) and target into out
** (cap bytes); returns its length, 0 when it does not fit. */
size_t nf_metadata(const nf_kernel *k, int nk, const char *target, unsigned char *out,
                   size_t cap);

/* An ELF64 AMDGPU object (machine: e_machine, 0xE0 for AMDGPU) whose one
** note section holds one note of owner "AMDGPU", type 32 and descriptor
** desc[0..desclen); returns its length, 0 when it does not fit in cap. */
size_t nf_elf(const unsigned char *desc, size_t desclen, unsigned machine, unsigned char *out,
              size_t cap);

/* nf_metadata + nf_elf for one kernel on gfx1250. */
size_t nf_object(const nf_kernel *k, unsigned char *out, size_t cap);

/* Write d[0..n) to path; 0 or -1. */
int nf_write(const char *path, const unsigned char *d, size_t n);

#endif /* AR_TESTS_NOTE_FIXTURE_H */
