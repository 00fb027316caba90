/*
** launch_fingerprint.h -- what a candidate's run function launches, as a hash.
**
** A candidate's behaviour is its code objects plus what the host side does
** with them: which kernels it enqueues in what order, their launch geometry
** (the dims functions of kernels/attn_variants.h), the split-KV rule
** (ar_decode_splits) and the argument bytes it packs.  The fingerprint runs
** the candidate's run function against a recording backend (nothing is
** executed) on a fixed set of probe problems and two device sizes, and hashes
** every launch: kernel index, grid, block, dynamic shared memory, argument
** size and bytes, and each run's result.  Device addresses in the probes are
** fixed constants, so the bytes are the same on every machine.  The family's
** argument-ABI version (families.h, aiter_pack.h) goes in too, for a change
** in how a kernel reads arguments whose bytes stay the same.  Only families
** with an ABI version are probed (their run functions only pack and
** enqueue); any other (the deliberately faulting test candidates) hashes its
** family name alone.
**
** Same host behaviour on the probes, same fingerprint; a dims function, split
** rule or packing change visible on any probe, a different one.
*/
#ifndef AR_LAUNCH_FINGERPRINT_H
#define AR_LAUNCH_FINGERPRINT_H

#include "candidate.h"
#include "sha256.h"

/* Feed c's launch fingerprint into s. */
void ar_launch_fingerprint(const ar_candidate *c, ar_sha256 *s);

/* The same as 64 hex digits (+ NUL), for tests and messages. */
void ar_launch_fingerprint_hex(const ar_candidate *c, char hex[65]);

/* Argument-ABI version of a family by name (0 for a family without one). */
int ar_family_abi_version(const char *family);

#endif /* AR_LAUNCH_FINGERPRINT_H */
