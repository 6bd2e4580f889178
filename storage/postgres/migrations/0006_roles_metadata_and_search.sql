-- 0006_roles_metadata_and_search: profiles saved in parts, users' roles and
-- metadata, accounts' email and additional information, portfolios'
-- public strategy, and the indexes of the operator's reads (users in
-- creation order, a user's audit events by seq).
--
-- Conventions of 0001_init still hold: a zero time.Time is NULL; sealed
-- PII is two columns, <name>_key_ref (text, '' when empty) and <name>_data
-- (bytea, NULL when empty), stored as the service sealed them.

-- A profile may now be saved in parts; profile_complete says that every
-- required field is given. Before this version a profile was only ever
-- saved whole, so every user holding one (a non-empty sealed value) has a
-- complete profile.
ALTER TABLE users ADD COLUMN profile_complete boolean NOT NULL DEFAULT false;
UPDATE users SET profile_complete = true WHERE profile_key_ref <> '' OR profile_data IS NOT NULL;

-- The labels an operator gave the user, in the order given ('{}' for
-- none), and the host's string map about the user, sealed.
ALTER TABLE users ADD COLUMN roles text[] NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN metadata_key_ref text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN metadata_data bytea;

-- An account's contact address (given by an operator at creation) and the
-- host's additional information, a string map; both sealed.
ALTER TABLE accounts ADD COLUMN email_key_ref text NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN email_data bytea;
ALTER TABLE accounts ADD COLUMN info_key_ref text NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN info_data bytea;

ALTER TABLE portfolios ADD COLUMN public_strategy boolean NOT NULL DEFAULT false;

-- SearchUsers pages through users in (created_at, id) order: ORDER BY
-- created_at NULLS FIRST, id COLLATE "C", with the cursor a row-value
-- comparison (created_at, id COLLATE "C") > ($1, $2) that starts the scan
-- of this index. Ids compare bytewise ("C"), as Go compares strings,
-- whatever the database collation.
CREATE INDEX users_created_idx ON users (created_at NULLS FIRST, id COLLATE "C");

-- ListEvents pages through a user's events by seq (WHERE user_id = $1 AND
-- seq > $2 ORDER BY seq); the events are no longer read in order of at.
CREATE INDEX events_user_seq_idx ON events (user_id, seq);
DROP INDEX events_user_idx;
