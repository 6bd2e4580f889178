-- 0004_rate_limits: the shared request limiter and signature replay cache
-- of Store.Limiter and Store.ReplayCache (package ratelimit), so that
-- limits and one-time signatures hold across replicas.
--
-- Keys name no record (no foreign keys). Rows whose time has passed mean
-- nothing any more and are deleted by Store.PruneRateLimits and
-- Store.PruneReplayNonces.

-- GCRA state per limiter key: the theoretical arrival time, the instant
-- at which the key's allowance is whole again. A decision is one upsert
-- that moves tat forward only when the request fits.
CREATE TABLE rate_limits (
    key text        NOT NULL,
    tat timestamptz NOT NULL,
    CONSTRAINT rate_limits_pkey PRIMARY KEY (key)
);

-- Used signature digests (32 bytes) and how long they are remembered. A
-- use is one upsert that succeeds only when the key is new or expired.
CREATE TABLE replay_nonces (
    key        bytea       NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT replay_nonces_pkey PRIMARY KEY (key)
);

-- No index on the times: tat changes with every allowed request, and an
-- index on it would make each of those updates maintain it (no HOT
-- update). The pruning, run now and then, scans the tables.
