-- 0008_janitor: the indexes of the janitor (storage.Janitor), which
-- deletes the records that serve no more in bounded batches: expired
-- challenges, the refresh tokens of ended families, the send counters of
-- past windows, idle login throttles and audit events past their
-- retention.
--
-- Each prune is one DELETE of the rows a subquery selects, the oldest
-- first, with a LIMIT, FOR UPDATE SKIP LOCKED (so that janitors on several
-- replicas take different rows instead of waiting for each other): with
-- these indexes the subquery is a range scan from the oldest row that
-- stops after the batch, however large the table.
--
-- The indexes are built with a plain CREATE INDEX, in the migration's
-- transaction: on large tables it blocks their writes while it builds.
-- An operator who cannot afford that creates them beforehand with CREATE
-- INDEX CONCURRENTLY under the same names, and the IF NOT EXISTS below then
-- leaves them as they are.

-- The challenges that expired before a time.
CREATE INDEX IF NOT EXISTS challenges_expires_idx ON challenges (expires_at);

-- A refresh token ended at the earlier of its revocation and its idle
-- expiry (LEAST ignores NULLs: a token neither revoked nor expiring never
-- ends). A family ended when every token of it did; the prune finds the
-- ended tokens through this index and checks their families through
-- refresh_tokens_family_idx. A rotation changes rotated_at only, which no
-- index holds, so its update can stay HOT.
CREATE INDEX IF NOT EXISTS refresh_tokens_end_idx ON refresh_tokens ((LEAST(expires_at, revoked_at)));

-- The send counters of windows that started before a time (the primary
-- key leads with the destination). A count changes n only, which no index
-- holds.
CREATE INDEX IF NOT EXISTS send_counters_window_idx ON send_counters (window_start);

-- The login throttles last touched before a time. Every counted failure
-- moves updated_at, so its update now also writes this index (a failed
-- login, not every request: unlike rate_limits in 0004, the table would
-- otherwise grow with every unknown username tried and its prune scan
-- with it).
CREATE INDEX IF NOT EXISTS login_throttles_updated_idx ON login_throttles (updated_at);

-- The audit events appended before the retention's start.
CREATE INDEX IF NOT EXISTS events_at_idx ON events (at);
