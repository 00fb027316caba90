-- schema.sql -- the attnroute measurement database (SQLite).
--
-- One file, versioned with PRAGMA user_version; PRAGMA application_id marks
-- the file as an attnroute db (0x41525454, "ARTT").  Every measurement is
-- kept, not only winners; winners are the view best_ok.  The C store
-- (db/store.c) creates this schema and refuses files it does not recognise.
-- Times are microseconds; timestamps are UTC ISO-8601 text.
-- Version 2 added shape.seqs (ragged batches) and trace_call; the tuner
-- migrates a version-1 file when it opens it for writing (db/store_upgrade.c).
-- Version 3 added device.wgp_count and device.cu_source (an AMD GPU in WGP
-- mode counts both ways); the tuner adds them to a version-1 or -2 file the
-- same way (db/store_upgrade.c).

PRAGMA application_id = 1095914580;
PRAGMA user_version = 3;

-- The device a run measured on.  Tables are keyed by (arch, cu_count): one
-- device class.  host, device_index and uuid tell apart devices of one class
-- (two identical GPUs of a node, the same GPU model on two nodes).
-- cu_count is the count aiter keys on (an AMD GPU in WGP mode has two CUs
-- per WGP); wgp_count and cu_source describe it and are not part of the
-- identity (a row recorded before version 3 keeps the defaults until a
-- tuner records that device again).
CREATE TABLE device (
  id              INTEGER PRIMARY KEY,
  vendor          TEXT NOT NULL,
  arch            TEXT NOT NULL,
  cu_count        INTEGER NOT NULL,
  name            TEXT NOT NULL,
  memory_bytes    INTEGER NOT NULL,
  driver_version  TEXT NOT NULL,
  runtime_version TEXT NOT NULL,
  host            TEXT NOT NULL DEFAULT '',   -- host name of the node; '' = unknown
  device_index    INTEGER NOT NULL DEFAULT 0, -- ordinal on the host (--device), worker slot on the CPU
  uuid            TEXT NOT NULL DEFAULT '',   -- GPU uuid or PCI bus id; '' = none (the CPU)
  wgp_count       INTEGER NOT NULL DEFAULT 0, -- HIP's multiProcessorCount when it counts WGPs
                                              -- (AMD WGP mode); 0 = not a WGP count / unknown
  cu_source       TEXT NOT NULL DEFAULT '',   -- where cu_count came from: 'CU_NUM', 'rocminfo',
                                              -- 'hip x2 (WGP mode)', 'hip'; '' = the backend's
                                              -- own count (CUDA, the CPU) or unknown
  UNIQUE (vendor, arch, cu_count, name, memory_bytes, driver_version, runtime_version,
          host, device_index, uuid)
);

-- A way to run one attention call.  A new code object is a new row.
CREATE TABLE candidate (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  family       TEXT NOT NULL,
  params       TEXT NOT NULL,
  code_hash    TEXT NOT NULL,      -- sha256 hex over its code objects
  legacy_route INTEGER NOT NULL,   -- attnroute_route it stands in for, or -1
  caps         TEXT NOT NULL,      -- attnroute_caps as "field=value,..." text
  UNIQUE (name, code_hash)
);

-- One invocation of the tuner (with --devices, device_id is its first device;
-- every measurement names its own).
CREATE TABLE run (
  id            INTEGER PRIMARY KEY,
  device_id     INTEGER NOT NULL REFERENCES device(id),
  backend       TEXT NOT NULL,
  tuner_version TEXT NOT NULL,
  git_revision  TEXT,              -- NULL when unknown
  command_line  TEXT NOT NULL,
  timing_policy TEXT NOT NULL,     -- "warmup=..,min_reps=..,min_ms=..,max_reps=..,max_ms=..,flush_cache=..,..."
  started_at    TEXT NOT NULL,
  ended_at      TEXT,              -- NULL while running or if killed (an interrupted run ends)
  plan_hash     TEXT NOT NULL DEFAULT '',   -- sha256 of the whole plan's shapes (before --shard)
  plan_shapes   INTEGER NOT NULL DEFAULT 0, -- shapes in the whole plan
  shard_index   INTEGER NOT NULL DEFAULT 0, -- K of --shard K/N (1-based); 0 = not sharded
  shard_count   INTEGER NOT NULL DEFAULT 0  -- N of --shard K/N; 0 = not sharded
);

-- A problem shape: static class + batch.  A uniform batch is num_seqs
-- sequences of seqlen_q new tokens and seqlen_k keys each, seqs ''.  A
-- ragged batch lists every sequence in seqs, and num_seqs is their count,
-- seqlen_q the largest sq, seqlen_k the largest ctx.  A list whose
-- sequences are all equal is stored in the uniform form.
CREATE TABLE shape (
  id             INTEGER PRIMARY KEY,
  head_dim       INTEGER NOT NULL,
  q_dtype        TEXT NOT NULL,
  kv_dtype       TEXT NOT NULL,
  has_sinks      INTEGER NOT NULL,
  sliding_window INTEGER NOT NULL,  -- -1 = none
  kv_block_size  INTEGER NOT NULL,
  causal         INTEGER NOT NULL,
  num_seqs       INTEGER NOT NULL,
  seqlen_q       INTEGER NOT NULL,
  seqlen_k       INTEGER NOT NULL,  -- cached prefix + seqlen_q
  num_q_heads    INTEGER NOT NULL,
  num_kv_heads   INTEGER NOT NULL,
  seqs           TEXT NOT NULL DEFAULT '',  -- ragged batch: "sq:ctx,sq:ctx,..." in batch
                                            -- order; '' = uniform batch
  UNIQUE (head_dim, q_dtype, kv_dtype, has_sinks, sliding_window, kv_block_size,
          causal, num_seqs, seqlen_q, seqlen_k, num_q_heads, num_kv_heads, seqs)
);

-- The calls of a trace (attnroute-tune --trace): identical calls share one
-- shape row; with --sample only the sampled calls have rows.
CREATE TABLE trace_call (
  id         INTEGER PRIMARY KEY,
  trace      TEXT NOT NULL,            -- trace name (file base name unless --trace-name)
  call_index INTEGER NOT NULL,         -- 0-based index of the call in the trace file
  step       TEXT NOT NULL CHECK (step IN ('prefill','decode')),
  shape_id   INTEGER NOT NULL REFERENCES shape(id),
  UNIQUE (trace, call_index)
);

-- Every measurement taken, committed when taken.  The status CHECK spells
-- db/outcome.h's AR_STATUS_LIST (tests/db checks the two agree).
CREATE TABLE measurement (
  id           INTEGER PRIMARY KEY,
  run_id       INTEGER NOT NULL REFERENCES run(id),
  device_id    INTEGER NOT NULL REFERENCES device(id),
  candidate_id INTEGER NOT NULL REFERENCES candidate(id),
  shape_id     INTEGER NOT NULL REFERENCES shape(id),
  status       TEXT NOT NULL CHECK (status IN ('ok','unsupported','wrong','fault','timeout')),
  median_us    REAL,                -- NULL unless timed
  p10_us       REAL,
  p90_us       REAL,
  reps         INTEGER NOT NULL DEFAULT 0,
  rel_err      REAL,                -- NULL unless checked
  message      TEXT NOT NULL DEFAULT '',
  measured_at  TEXT NOT NULL,
  UNIQUE (device_id, candidate_id, shape_id)
);
CREATE INDEX measurement_shape ON measurement (shape_id);

-- Views: derived, no data.  A db written by an older build gets these when
-- it is opened for writing (db/store_views.c re-creates every view below
-- whose definition differs).  Each ends with ';' at the end of a line.

-- Shapes with their cached prefix (seqlen_k - seqlen_q).
CREATE VIEW shape_axes AS
SELECT s.*, s.seqlen_k - s.seqlen_q AS cached
FROM shape s;

-- Fastest ok candidate per device class and shape (ties: lower candidate
-- id, then lower device id: one row per class and shape), with the shape's
-- columns.  A candidate counts only under its current code: per class and
-- candidate name, the code hash of its latest run (then latest measurement,
-- then the larger hash) -- the rule gen/ keeps with --allow-stale, so the
-- view and the generator name the same winner (tests/gen checks it).
CREATE VIEW best_ok AS
WITH latest AS (
  SELECT d.arch AS arch, d.cu_count AS cu_count, c.name AS name, c.code_hash AS code_hash,
         ROW_NUMBER() OVER (PARTITION BY d.arch, d.cu_count, c.name
                            ORDER BY r.started_at DESC, m.measured_at DESC,
                                     c.code_hash DESC) AS rank
  FROM measurement m
  JOIN device d ON d.id = m.device_id
  JOIN candidate c ON c.id = m.candidate_id
  JOIN run r ON r.id = m.run_id),
ranked AS (
  SELECT d.arch AS arch, d.cu_count AS cu_count, m.shape_id AS shape_id,
         c.name AS candidate, c.code_hash AS code_hash, m.median_us AS median_us,
         m.candidate_id AS candidate_id, m.device_id AS device_id,
         ROW_NUMBER() OVER (PARTITION BY d.arch, d.cu_count, m.shape_id
                            ORDER BY m.median_us IS NULL, m.median_us, m.candidate_id,
                                     m.device_id) AS rank
  FROM measurement m
  JOIN device d ON d.id = m.device_id
  JOIN candidate c ON c.id = m.candidate_id
  JOIN latest l ON l.arch = d.arch AND l.cu_count = d.cu_count AND l.name = c.name
                AND l.rank = 1 AND l.code_hash = c.code_hash
  WHERE m.status = 'ok')
SELECT b.arch AS arch, b.cu_count AS cu_count, b.shape_id AS shape_id,
       b.candidate AS candidate, b.code_hash AS code_hash, b.median_us AS median_us,
       b.candidate_id AS candidate_id, b.device_id AS device_id,
       s.head_dim AS head_dim, s.q_dtype AS q_dtype, s.kv_dtype AS kv_dtype,
       s.has_sinks AS has_sinks, s.sliding_window AS sliding_window,
       s.kv_block_size AS kv_block_size, s.causal AS causal, s.num_seqs AS num_seqs,
       s.seqlen_q AS seqlen_q, s.seqlen_k AS seqlen_k, s.seqlen_k - s.seqlen_q AS cached,
       s.num_q_heads AS num_q_heads, s.num_kv_heads AS num_kv_heads
FROM ranked b
JOIN shape s ON s.id = b.shape_id
WHERE b.rank = 1;

-- How clearly the winner wins: per device class and shape, the fastest ok
-- candidate and the second-fastest other one (each at its best time over
-- the class's devices; NULL when there is none) and margin = runner-up
-- time / winner time (>= 1).
CREATE VIEW best_margin AS
WITH per_candidate AS (
  SELECT d.arch AS arch, d.cu_count AS cu_count, m.shape_id AS shape_id,
         m.candidate_id AS candidate_id, min(m.median_us) AS median_us
  FROM measurement m
  JOIN device d ON d.id = m.device_id
  WHERE m.status = 'ok'
  GROUP BY d.arch, d.cu_count, m.shape_id, m.candidate_id),
ranked AS (
  SELECT p.arch AS arch, p.cu_count AS cu_count, p.shape_id AS shape_id,
         c.name AS candidate, p.median_us AS median_us,
         ROW_NUMBER() OVER (PARTITION BY p.arch, p.cu_count, p.shape_id
                            ORDER BY p.median_us, p.candidate_id) AS rank
  FROM per_candidate p
  JOIN candidate c ON c.id = p.candidate_id)
SELECT w.arch AS arch, w.cu_count AS cu_count, w.shape_id AS shape_id,
       w.candidate AS candidate, w.median_us AS median_us,
       r.candidate AS runner_up, r.median_us AS runner_up_us,
       r.median_us / w.median_us AS margin
FROM ranked w
LEFT JOIN ranked r ON r.arch = w.arch AND r.cu_count = w.cu_count
                  AND r.shape_id = w.shape_id AND r.rank = 2
WHERE w.rank = 1;

-- What the legacy gates run on each shape (runtime/src/legacy.c with
-- unified attention on -- the configuration PR #1345 changed; ATOM's own
-- default is off -- gfx1250, no alibi, no dropout, cu_seqlens; decode when
-- seqlen_q = 1), per policy, and the
-- candidate standing in for that route (legacy_route; the lowest id among
-- those measured there other than unsupported) with its status and time,
-- the class's best ok time and slowdown = legacy time / best time.  The
-- route names are attnroute_route_name's (tests/db checks them).
CREATE VIEW legacy_pick AS
WITH policy(name) AS (VALUES ('pre-1345'), ('post-1345')),
routed AS (
  SELECT s.id AS shape_id, p.name AS policy,
    CASE
      WHEN s.seqlen_q = 1 THEN
        CASE
          WHEN s.sliding_window > 0 THEN 1
          WHEN s.kv_block_size = 256 THEN
            CASE WHEN s.has_sinks AND s.kv_dtype = 'fp8_e4m3' AND s.head_dim = 64
                      AND s.num_q_heads = 8 * s.num_kv_heads THEN 3 ELSE 10 END
          ELSE 2
        END
      WHEN s.head_dim = 64 AND s.has_sinks AND s.sliding_window <= 0 AND s.q_dtype = 'bf16'
           AND (p.name = 'post-1345' OR s.seqlen_k = s.seqlen_q) THEN 0
      WHEN p.name = 'pre-1345' AND s.seqlen_k > s.seqlen_q THEN 4
      ELSE 1
    END AS route
  FROM shape s CROSS JOIN policy p),
classes AS (SELECT DISTINCT arch, cu_count FROM device)
SELECT k.arch AS arch, k.cu_count AS cu_count, r.shape_id AS shape_id, r.policy AS policy,
       r.route AS route,
       CASE r.route WHEN 0 THEN 'dense_sink_asm' WHEN 1 THEN 'triton_paged'
                    WHEN 2 THEN 'triton_splitkv' WHEN 3 THEN 'asm_paged_decode'
                    WHEN 4 THEN 'triton_paged_gather' ELSE 'engine_error' END AS route_name,
       c.name AS candidate, m.status AS status, m.median_us AS median_us,
       b.median_us AS best_us, m.median_us / b.median_us AS slowdown
FROM routed r
CROSS JOIN classes k
LEFT JOIN measurement m ON m.id = (
  SELECT m2.id FROM measurement m2
  JOIN candidate c2 ON c2.id = m2.candidate_id
  JOIN device d2 ON d2.id = m2.device_id
  WHERE m2.shape_id = r.shape_id AND c2.legacy_route = r.route
    AND d2.arch = k.arch AND d2.cu_count = k.cu_count AND m2.status <> 'unsupported'
  ORDER BY c2.id, m2.device_id LIMIT 1)
LEFT JOIN candidate c ON c.id = m.candidate_id
LEFT JOIN best_ok b ON b.shape_id = r.shape_id AND b.arch = k.arch AND b.cu_count = k.cu_count
WHERE EXISTS (SELECT 1 FROM measurement m3 JOIN device d3 ON d3.id = m3.device_id
              WHERE m3.shape_id = r.shape_id AND d3.arch = k.arch AND d3.cu_count = k.cu_count);
