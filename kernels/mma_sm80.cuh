/*
** mma_sm80.cuh -- NVIDIA (sm_80+) building blocks of the tensor-core kernels:
** cp.async 16-byte copies with zero fill, ldmatrix (plain and transposed),
** mma.sync m16n8k16 bf16 -> fp32, ex2.approx, bf16x2 packing, and the
** XOR-swizzled shared-memory tile layout (rows of D bf16, 16-byte chunks,
** chunk c of row r stored at chunk c ^ (r & 7): conflict-free for both
** ldmatrix and the row-wise cp.async fills).
*/
#ifndef AR_MMA_SM80_CUH
#define AR_MMA_SM80_CUH

#include "vendor.h"

AR_DEV uint32_t smem_u32(const void *p) { return (uint32_t)__cvta_generic_to_shared(p); }

/* Byte offset of (row, 16-byte chunk) in a swizzled tile with CH chunks a row. */
template <int CH>
AR_DEV uint32_t swz(int row, int chunk) {
  return (uint32_t)((row * CH + (chunk ^ (row & 7))) << 4);
}

/* Per-lane byte offsets for ldmatrix x4 in a swizzled tile (RB = CH * 16
** bytes a row).  The 16-row block's row offset only touches bits >= 11 and
** the k step (two chunks, 32 bytes) only bits 5..7, so the address of k step
** kk is  tile + row_block_offset + (lane_base ^ (kk << 5)).
**   A operand (rows lane & 15, chunk +(lane >> 4)), also V^T (.trans):
**   rows (lane & 7) + 8 * ((lane >> 3) & 1), chunk +(lane >> 4).
**   B operand from K rows (non-trans): rows (lane & 7) + 8 * (lane >> 4),
**   chunk +((lane >> 3) & 1). */
template <int CH>
AR_DEV uint32_t lane_a(int lane) {
  return (uint32_t)(((lane & 15) * CH + ((lane >> 4) ^ (lane & 7))) << 4);
}
template <int CH>
AR_DEV uint32_t lane_vt(int lane) {
  return (uint32_t)((((lane & 7) + (((lane >> 3) & 1) << 3)) * CH + ((lane >> 4) ^ (lane & 7))) << 4);
}
template <int CH>
AR_DEV uint32_t lane_k(int lane) {
  return (uint32_t)((((lane & 7) + ((lane >> 4) << 3)) * CH + (((lane >> 3) & 1) ^ (lane & 7))) << 4);
}

AR_DEV void cp_async16(uint32_t dst, const void *src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
               "r"(valid ? 16 : 0));
}
AR_DEV void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
AR_DEV void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

/* mbarriers (shared::cta) and named barriers. */
AR_DEV void mbar_init(uint32_t addr, int count) {
  asm volatile("mbarrier.init.shared.b64 [%0], %1;\n" ::"r"(addr), "r"(count) : "memory");
}
AR_DEV void mbar_arrive(uint32_t addr) {
  asm volatile("{\n .reg .b64 st;\n mbarrier.arrive.shared.b64 st, [%0];\n}\n" ::"r"(addr) : "memory");
}
/* Arrive once this thread's earlier cp.async copies have landed. */
AR_DEV void cp_async_mbar_arrive(uint32_t addr) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared.b64 [%0];\n" ::"r"(addr) : "memory");
}
AR_DEV void mbar_wait(uint32_t addr, uint32_t parity) {
  uint32_t ok = 0;
  while (!ok)
    asm volatile("{\n .reg .pred p;\n mbarrier.try_wait.parity.shared.b64 p, [%1], %2;\n"
                 " selp.u32 %0, 1, 0, p;\n}\n"
                 : "=r"(ok) : "r"(addr), "r"(parity) : "memory");
}
AR_DEV void named_sync(int id, int count) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(count) : "memory");
}
AR_DEV void named_arrive(int id, int count) {
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(count) : "memory");
}

AR_DEV void ldsm_x4(uint32_t &r0, uint32_t &r1, uint32_t &r2, uint32_t &r3, uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}
AR_DEV void ldsm_x4_t(uint32_t &r0, uint32_t &r1, uint32_t &r2, uint32_t &r3, uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}

/* c += a * b, m16n8k16, bf16 inputs, fp32 accumulators. */
AR_DEV void mma16816(float *c, const uint32_t *a, uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

AR_DEV float ex2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

/* Two floats -> bf16x2 (lo in the low half), round to nearest even. */
AR_DEV uint32_t pack_bf16(float lo, float hi) {
  uint32_t r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}

AR_DEV float quad_max(float v) {
  v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
  return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}
AR_DEV float quad_sum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  return v + __shfl_xor_sync(0xffffffffu, v, 2);
}

#define AR_LOG2E 1.4426950408889634f
#define AR_LN2 0.6931471805599453f

#endif /* AR_MMA_SM80_CUH */
