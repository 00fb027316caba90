/*
** aiter_abi.h -- which argument ABI an aiter code object has, decided from
** the object itself (its metadata note, amdgpu_note.h, and its content), and
** whether its LDS fits the device.  Pure functions: no HIP, no device.
**
** fmha_fwd_with_sink_varlen_asm (hsa/gfx1250/fmha_fwd_bf16_varlen), from
** ROCm/aiter's history (every object's note read at each commit):
**   e6c7333e (2026-06-13)  objects declare kernarg_segment_size 132 (27
**                          arguments); the launcher already packed 88 bytes
**   a71255f8 (2026-06-24)  objects declare 88 (the 14 arguments of
**                          aiter_pack.h); launcher: opt 4, full grid
**   1ab82adc (2026-06-29)  mask=0 objects added; opt 4
**   8c22067a (2026-07-10)  objects rebuilt; opt 4
**   b467ce34 (2026-07-14)  launcher only: opt 7, grid halved (double_q); the
**                          8c22067a objects ran both ways
**   9bc48ade, dc4bdf1c     objects rebuilt; opt 7 (to e4048607, 2026-08-22)
** Every 88-byte object's note is byte-identical to every other of the same
** kernel name: the note cannot tell the opt 4 launch from the opt 7 one.
** What tells them apart is which aiter shipped the file, read here from its
** SHA-256 (sha256sum of the .co; `git show <commit>:<path> | sha256sum` in
** an aiter checkout gives the same): the a71255f8 and 1ab82adc objects were
** only ever launched with opt 4 and the full grid; all later ones, and any
** object this table does not know, get aiter's launch since b467ce34 (opt
** 7, halved grid).  AR_AITER_SV_OPT=4 or 7 in the environment overrides the
** choice (an object built for another aiter).
**
** pa_decode_bf16_asm (hsa/gfx1250/pa_decode_bf16): its note declares 176
** bytes (0xB0, the layout of aiter_pack.h) since 67c18c70 (2026-06-30),
** 368 (0x170, a 16-byte-slot layout) before.
**
** LDS: aiter refuses an object whose group_segment_fixed_size exceeds the
** device's hipDeviceAttributeMaxSharedMemoryPerBlock (AiterAsmKernel
** validate_hsaco_lds, csrc/include/aiter_hip_common.h, e4048607); the aiter
** gfx1250 objects declare 327680 bytes.
*/
#ifndef AR_AITER_ABI_H
#define AR_AITER_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "amdgpu_note.h"

/* The environment variable that overrides the sink-varlen launch. */
#define AR_AITER_SV_OPT_ENV "AR_AITER_SV_OPT"

/* The sink-varlen ABI of the object at path (for messages) whose note is m
** and whose SHA-256 is sha256_hex (NULL: unknown), with override the value
** of AR_AITER_SV_OPT (NULL or "": none).  Returns AR_AITER_SV_ABI_OPT7_HALVED
** or AR_AITER_SV_ABI_OPT4_FULL (aiter_pack.h) with how saying why that
** launch (one line), or AR_AITER_SV_ABI_NONE with why naming the file and
** the size or argument that does not match (kernarg_segment_size other than
** 88, an argument list other than the launcher's, a bad override). */
int ar_aiter_sv_abi_select(const ar_amdgpu_kernel_meta *m, const char *path,
                           const char *sha256_hex, const char *override, char *how,
                           size_t howlen, char *why, size_t whylen);

/* 0 when the note m declares the 0xB0-byte pa_decode_bf16_asm layout
** (kernarg_segment_size 176 and, when listed, the launcher's 22 arguments);
** -1 with why naming path and the size (368: aiter's layout before
** 67c18c70) otherwise. */
int ar_aiter_pd_abi_check(const ar_amdgpu_kernel_meta *m, const char *path, char *why,
                          size_t whylen);

/* 0 when the object's LDS (m->group_segment_fixed_size; absent: 0) fits
** device_lds bytes per workgroup; -1 with why naming path and both sizes.
** device_lds <= 0 (the backend does not know) is refused too: aiter always
** checks, and an object that cannot get its LDS does not launch. */
int ar_aiter_lds_check(const ar_amdgpu_kernel_meta *m, const char *path, int64_t device_lds,
                       char *why, size_t whylen);

#endif /* AR_AITER_ABI_H */
