/*
** amdgpu_note.h -- what an AMDGPU code object says about one of its kernels,
** read from its metadata note (no HIP, no device: unit-tested anywhere).
**
** An AMDGPU code object (ELF64, e_machine EM_AMDGPU 0xE0, code object v3 and
** later) carries one note of owner "AMDGPU", type NT_AMDGPU_METADATA (32),
** whose descriptor is a MessagePack map: "amdhsa.target" (e.g.
** "amdgcn-amd-amdhsa--gfx1250") and "amdhsa.kernels", an array with one map
** per kernel: ".name", ".symbol" (the name + ".kd"), ".kernarg_segment_size"
** (the bytes of the argument buffer the kernel reads),
** ".group_segment_fixed_size" (LDS bytes per workgroup),
** ".private_segment_fixed_size", ".wavefront_size",
** ".max_flat_workgroup_size", ".kernarg_segment_align" and ".args" (each
** argument's ".offset", ".size", ".value_kind", ".value_type").  That is the
** ABI the loader and a launcher must agree on; aiter's own loader reads
** group_segment_fixed_size from the same note (AiterAsmKernel
** validate_hsaco_lds, csrc/include/aiter_hip_common.h, aiter e4048607).
**
** The reader checks every offset and length against the input before it
** reads it, bounds MessagePack nesting, and refuses anything malformed with
** a message naming the file; it never reads past the buffer it is given.
*/
#ifndef AR_AMDGPU_NOTE_H
#define AR_AMDGPU_NOTE_H

#include <stddef.h>
#include <stdint.h>

#define AR_AMDGPU_NAME_MAX 256
#define AR_AMDGPU_MAX_ARGS 48

/* One kernel argument as the note declares it. */
typedef struct ar_amdgpu_arg {
  int64_t offset, size;  /* -1 when the note leaves them out */
  char value_kind[24];   /* "global_buffer", "by_value", ...; "" absent */
  char value_type[16];   /* "f32", "i32", ... (older notes); "" absent */
} ar_amdgpu_arg;

/* One kernel's metadata.  Numbers the note leaves out are -1. */
typedef struct ar_amdgpu_kernel_meta {
  char name[AR_AMDGPU_NAME_MAX];
  char symbol[AR_AMDGPU_NAME_MAX + 4];
  char target[64];        /* amdhsa.target; "" absent */
  int64_t kernarg_segment_size;
  int64_t kernarg_segment_align;
  int64_t group_segment_fixed_size; /* LDS bytes */
  int64_t private_segment_fixed_size;
  int64_t wavefront_size;
  int64_t max_flat_workgroup_size;
  int nargs;              /* entries of args[] filled */
  int args_total;         /* arguments the note lists (> nargs: more than fit) */
  ar_amdgpu_arg args[AR_AMDGPU_MAX_ARGS];
} ar_amdgpu_kernel_meta;

/* Find kernel (its .name, or its .symbol with or without ".kd"; NULL: the
** only kernel of the object) in the code object data[0..size) and fill
** *out.  what names the input in messages (a path).  Returns 0, or -1 with
** err ("<what>: ...": not ELF64 little-endian, not AMDGPU, no metadata
** note, a truncated or malformed note, MessagePack that is not the
** metadata map, no such kernel) and *out zeroed. */
int ar_amdgpu_note_parse(const unsigned char *data, size_t size, const char *what,
                         const char *kernel, ar_amdgpu_kernel_meta *out, char *err,
                         size_t errlen);

/* ar_amdgpu_note_parse on the file at path (read whole; at most 256 MiB).
** When sha256_hex is not NULL it receives the file's SHA-256 (64 lowercase
** hex digits, what sha256sum prints) on success. */
int ar_amdgpu_note_read(const char *path, const char *kernel, ar_amdgpu_kernel_meta *out,
                        char sha256_hex[65], char *err, size_t errlen);

#endif /* AR_AMDGPU_NOTE_H */
