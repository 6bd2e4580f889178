-- 0003_abuse_resistance: verified-only identifier uniqueness, login
-- throttles in their own table, challenges marked as proven.
--
-- Conventions of 0001_init still hold: an empty phone or email is NULL (and
-- NULLs never collide), a zero time.Time is NULL.

-- A phone or email is unique among its verified holders only: a sign-up
-- that is never confirmed does not hold the number. The unique indexes are
-- partial; their names map to the DuplicateError fields "phone" and
-- "email".
ALTER TABLE users DROP CONSTRAINT users_phone_key;
DROP INDEX users_email_lower_key;
CREATE UNIQUE INDEX users_phone_verified_key ON users (phone) WHERE phone_verified;
CREATE UNIQUE INDEX users_email_verified_key ON users (lower(email)) WHERE email_verified;

-- The lookups by phone and email return the verified holder, else the most
-- recently created one: WHERE phone = $1 ORDER BY phone_verified DESC,
-- created_at DESC NULLS LAST, id DESC LIMIT 1 reads these indexes
-- backwards and stops at the first entry.
CREATE INDEX users_phone_idx ON users (phone, phone_verified, created_at NULLS FIRST, id);
CREATE INDEX users_email_lower_idx ON users (lower(email), email_verified, created_at NULLS FIRST, id);

-- Failed logins are counted in login_throttles, by key.
ALTER TABLE users DROP CONSTRAINT users_failed_logins_check;
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN login_blocked_until;

-- A challenge issued after the user proved a factor. Challenges created
-- before this migration read as not proven.
ALTER TABLE challenges ADD COLUMN proven boolean NOT NULL DEFAULT false;

-- The newest challenge of a user and purpose (LatestChallenge) is the
-- first entry of a backward scan; the index also serves the foreign key's
-- cascade, which challenges_user_idx served.
CREATE INDEX challenges_user_purpose_idx ON challenges (user_id, purpose, created_at NULLS FIRST, id);
DROP INDEX challenges_user_idx;

-- Login throttles: a failure count and a deadline per opaque key. A key
-- names no record (no foreign key): it may outlive or predate any user.
-- updated_at is the time of the last counted failure.
CREATE TABLE login_throttles (
    key           text        NOT NULL,
    failures      integer     NOT NULL,
    blocked_until timestamptz,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT login_throttles_pkey PRIMARY KEY (key),
    CONSTRAINT login_throttles_failures_check CHECK (failures >= 0)
);
