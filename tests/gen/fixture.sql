-- fixture.sql -- a small attnroute db for the generator and tools tests.
--
-- Run after db/schema.sql (tests/gen/make_fixture.py does both).  One device
-- class (gfx1250:256), four candidates, two static classes:
--   A: head_dim 64, bf16, sinks, block 16, causal; num_seqs {1,8} x seqlen_q
--      {1,512,2048} x cached {0,4096} x 64 q heads x gqa 8.  Cell (8,2048,4096)
--      has no shape; in (1,2048,4096) every candidate failed.
--   B: head_dim 128, bf16, no sinks; num_seqs 4 x seqlen_q {1,1024} x cached
--      {0,1024} x q heads {32,64} x gqa 8, measured by a second run.
-- Times follow simple cost formulas so the winners differ across the grid
-- without ties.

INSERT INTO device (id, vendor, arch, cu_count, name, memory_bytes, driver_version, runtime_version) VALUES
  (1, 'amd', 'gfx1250', 256, 'AMD Instinct MI450 (fixture)', 309237645312,
   'rocm 7.2.0', 'hip 7.2.0');

INSERT INTO candidate VALUES
  (1, 'dense_sink.gather', 'dense_sink', 'bm=128',
   'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1', 0,
   'head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,sinks=2,window=0,causal=1,max_seqlen_q=0,gqa_exact=0'),
  (2, 'paged.bm64', 'paged', 'bm=64',
   'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2', 1,
   'head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,sinks=2,window=2,causal=2,max_seqlen_q=0,gqa_exact=0'),
  (3, 'paged.splitkv', 'paged', 'segments=16',
   'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3', 2,
   'head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,sinks=2,window=2,causal=2,max_seqlen_q=16,gqa_exact=0'),
  (4, 'asm.pa_decode', 'paged_decode', '',
   'd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4', 3,
   'head_dim_mask=0x8,q_dtype_mask=0x4,kv_dtype_mask=0x4,block_size_mask=0x100,sinks=1,window=0,causal=2,max_seqlen_q=1,gqa_exact=8');

INSERT INTO run (id, device_id, backend, tuner_version, git_revision, command_line, timing_policy, started_at, ended_at) VALUES
  (1, 1, 'host', '0.1.0', 'fixture', 'ar_tune --grid fixture-a',
   'warmup=3,min_reps=10,min_ms=50,flush_l2=1', '2026-05-01T10:00:00Z', '2026-05-01T10:30:00Z'),
  (2, 1, 'host', '0.1.0', 'fixture', 'ar_tune --grid fixture-b',
   'warmup=3,min_reps=10,min_ms=50,flush_l2=1', '2026-05-01T11:00:00Z', '2026-05-01T11:30:00Z');

-- Class A (ids 1..11), then class B (ids 21..28).
INSERT INTO shape (id, head_dim, q_dtype, kv_dtype, has_sinks, sliding_window, kv_block_size,
                   causal, num_seqs, seqlen_q, seqlen_k, num_q_heads, num_kv_heads) VALUES
  (1, 64, 'bf16', 'bf16', 1, -1, 16, 1, 1, 1, 1, 64, 8),
  (2, 64, 'bf16', 'bf16', 1, -1, 16, 1, 1, 1, 4097, 64, 8),
  (3, 64, 'bf16', 'bf16', 1, -1, 16, 1, 1, 512, 512, 64, 8),
  (4, 64, 'bf16', 'bf16', 1, -1, 16, 1, 1, 512, 4608, 64, 8),
  (5, 64, 'bf16', 'bf16', 1, -1, 16, 1, 1, 2048, 2048, 64, 8),
  (6, 64, 'bf16', 'bf16', 1, -1, 16, 1, 1, 2048, 6144, 64, 8),
  (7, 64, 'bf16', 'bf16', 1, -1, 16, 1, 8, 1, 1, 64, 8),
  (8, 64, 'bf16', 'bf16', 1, -1, 16, 1, 8, 1, 4097, 64, 8),
  (9, 64, 'bf16', 'bf16', 1, -1, 16, 1, 8, 512, 512, 64, 8),
  (10, 64, 'bf16', 'bf16', 1, -1, 16, 1, 8, 512, 4608, 64, 8),
  (11, 64, 'bf16', 'bf16', 1, -1, 16, 1, 8, 2048, 2048, 64, 8),
  (21, 128, 'bf16', 'bf16', 0, -1, 16, 1, 4, 1, 1, 32, 4),
  (22, 128, 'bf16', 'bf16', 0, -1, 16, 1, 4, 1, 1, 64, 8),
  (23, 128, 'bf16', 'bf16', 0, -1, 16, 1, 4, 1, 1025, 32, 4),
  (24, 128, 'bf16', 'bf16', 0, -1, 16, 1, 4, 1, 1025, 64, 8),
  (25, 128, 'bf16', 'bf16', 0, -1, 16, 1, 4, 1024, 1024, 32, 4),
  (26, 128, 'bf16', 'bf16', 0, -1, 16, 1, 4, 1024, 1024, 64, 8),
  (27, 128, 'bf16', 'bf16', 0, -1, 16, 1, 4, 1024, 2048, 32, 4),
  (28, 128, 'bf16', 'bf16', 0, -1, 16, 1, 4, 1024, 2048, 64, 8);

-- Cost model (us): work ~ causal FLOPs, kv ~ KV bytes read.
--   dense_sink.gather  6 + 1.0e-6 work + 1.2e-3 gathered KV   (always ok, but
--                      wrong in shape 6)
--   paged.bm64         9 + 1.2e-6 work + 1.0e-4 kv            (timeout in shape 6)
--   paged.splitkv      4 + 0.45e-4 kv + 0.01 num_seqs q_heads (seqlen_q <= 16)
--   asm.pa_decode      unsupported (fp8 only)
CREATE TEMP VIEW fixture_cost AS
SELECT s.id AS shape_id, c.id AS candidate_id, c.name AS name,
       s.num_seqs * s.seqlen_q * (s.seqlen_q / 2.0 + s.seqlen_k - s.seqlen_q)
         * s.num_q_heads * (s.head_dim / 64.0) AS work,
       s.num_seqs * s.seqlen_k * s.num_kv_heads * (s.head_dim / 64.0) AS kv,
       s.num_seqs * (s.seqlen_k - s.seqlen_q) * s.num_kv_heads AS gathered,
       s.num_seqs * s.num_q_heads AS heads, s.seqlen_q AS sq
FROM shape s CROSS JOIN candidate c;

CREATE TEMP VIEW fixture_result AS
SELECT shape_id, candidate_id,
  CASE
    WHEN name = 'asm.pa_decode' THEN 'unsupported'
    WHEN name = 'paged.splitkv' AND sq > 16 THEN 'unsupported'
    WHEN shape_id = 6 AND name = 'dense_sink.gather' THEN 'wrong'
    WHEN shape_id = 6 AND name = 'paged.bm64' THEN 'timeout'
    ELSE 'ok'
  END AS status,
  CASE name
    WHEN 'dense_sink.gather' THEN 6.0 + 1.0e-6 * work + 1.2e-3 * gathered
    WHEN 'paged.bm64' THEN 9.0 + 1.2e-6 * work + 1.0e-4 * kv
    WHEN 'paged.splitkv' THEN 4.0 + 0.45e-4 * kv + 0.01 * heads
  END AS t
FROM fixture_cost;

INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, status, median_us,
                         p10_us, p90_us, reps, rel_err, message, measured_at)
SELECT CASE WHEN shape_id < 20 THEN 1 ELSE 2 END, 1, candidate_id, shape_id, status,
       CASE WHEN status = 'ok' THEN round(t, 3) END,
       CASE WHEN status = 'ok' THEN round(t * 0.97, 3) END,
       CASE WHEN status = 'ok' THEN round(t * 1.05, 3) END,
       CASE WHEN status = 'ok' THEN 20 ELSE 0 END,
       CASE WHEN status IN ('ok', 'wrong') THEN 0.001 END,
       CASE status WHEN 'ok' THEN '' WHEN 'unsupported' THEN 'caps'
                   WHEN 'wrong' THEN 'max abs err 0.5' ELSE 'watchdog' END,
       printf('2026-05-01T%02d:%02d:%02dZ', CASE WHEN shape_id < 20 THEN 10 ELSE 11 END,
              shape_id % 30, candidate_id * 7)
FROM fixture_result;

DROP VIEW fixture_result;
DROP VIEW fixture_cost;
