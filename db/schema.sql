-- schema.sql -- the attnroute measurement database (SQLite).
--
-- One file, versioned with PRAGMA user_version; PRAGMA application_id marks
-- the file as an attnroute db (0x41525454, "ARTT").  Every measurement is
-- kept, not only winners; winners are the view best_ok.  The C store
-- (db/store.c) creates this schema and refuses files it does not recognise.
-- Times are microseconds; timestamps are UTC ISO-8601 text.
-- Version 2 added shape.seqs (ragged batches) and trace_call; the tuner
-- migrates a version-1 file when it opens it for writing (db/store_migrate.c).

PRAGMA application_id = 1095914580;
PRAGMA user_version = 2;

-- The device a run measured on.  Tables are keyed by (arch, cu_count): one
-- device class.  host, device_index and uuid tell apart devices of one class
-- (two identical GPUs of a node, the same GPU model on two nodes).
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
  timing_policy TEXT NOT NULL,     -- "warmup=..,min_reps=..,min_ms=..,flush_l2=.."
  started_at    TEXT NOT NULL,
  ended_at      TEXT,              -- NULL while running or if killed
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

-- Every measurement taken, committed when taken.
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

-- Fastest ok candidate per device class and shape (ties: lower candidate id).
CREATE VIEW best_ok AS
SELECT d.arch AS arch, d.cu_count AS cu_count, m.shape_id AS shape_id,
       c.name AS candidate, c.code_hash AS code_hash, m.median_us AS median_us,
       m.candidate_id AS candidate_id, m.device_id AS device_id
FROM measurement m
JOIN device d ON d.id = m.device_id
JOIN candidate c ON c.id = m.candidate_id
WHERE m.status = 'ok'
  AND NOT EXISTS (
    SELECT 1 FROM measurement m2 JOIN device d2 ON d2.id = m2.device_id
    WHERE m2.shape_id = m.shape_id AND m2.status = 'ok'
      AND d2.arch = d.arch AND d2.cu_count = d.cu_count
      AND (m2.median_us < m.median_us
           OR (m2.median_us = m.median_us AND m2.candidate_id < m.candidate_id)));
