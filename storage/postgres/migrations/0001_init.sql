-- 0001_init: the onboardkit tables.
--
-- Plain SQL that runs on PostgreSQL (12+) and CockroachDB (22.1+): no
-- extensions, no functions, no triggers. Tables are created unqualified, in
-- the first schema of the connection's search_path.
--
-- Conventions: an empty Go string that must stay unique-free (phone, email,
-- the user of a decoy challenge) is stored as NULL; a zero time.Time is NULL;
-- sealed PII is two columns, <name>_key_ref (text) and <name>_data (bytea).

CREATE TABLE users (
    id                  text        NOT NULL,
    version             bigint      NOT NULL,
    phone               text,
    phone_verified      boolean     NOT NULL DEFAULT false,
    email               text,
    email_verified      boolean     NOT NULL DEFAULT false,
    locale              text        NOT NULL DEFAULT '',
    status              text        NOT NULL,
    kyc_status          text        NOT NULL DEFAULT '',
    kyc_tier            text        NOT NULL DEFAULT '',
    profile             jsonb,
    profile_ssn_key_ref text        NOT NULL DEFAULT '',
    profile_ssn_data    bytea,
    compliance          jsonb,
    failed_logins       integer     NOT NULL DEFAULT 0,
    login_blocked_until timestamptz,
    admin_locked        boolean     NOT NULL DEFAULT false,
    tokens_valid_after  timestamptz,
    last_auth_at        timestamptz,
    created_at          timestamptz,
    updated_at          timestamptz,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_phone_key UNIQUE (phone),
    CONSTRAINT users_phone_check CHECK (phone <> ''),
    CONSTRAINT users_email_check CHECK (email <> ''),
    CONSTRAINT users_version_check CHECK (version >= 1),
    CONSTRAINT users_failed_logins_check CHECK (failed_logins >= 0),
    CONSTRAINT users_status_check CHECK (status IN (
        'registered', 'contact_verified', 'profile_completed',
        'compliance_completed', 'kyc_pending', 'active', 'rejected', 'locked')),
    CONSTRAINT users_kyc_status_check CHECK (kyc_status IN (
        '', 'not_started', 'init', 'under_review', 'waiting_for_information',
        'active', 'rejected', 'inactive')),
    CONSTRAINT users_kyc_tier_check CHECK (kyc_tier IN ('', 'KYC_0', 'KYC_1'))
);

-- Emails are unique case-insensitively.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- The current password hash; seq numbers the user's hashes so the history
-- can be trimmed and ordered without relying on clocks.
CREATE TABLE credentials (
    user_id text        NOT NULL,
    hash    text        NOT NULL,
    seq     bigint      NOT NULL,
    set_at  timestamptz,
    CONSTRAINT credentials_pkey PRIMARY KEY (user_id),
    CONSTRAINT credentials_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE password_history (
    user_id text        NOT NULL,
    seq     bigint      NOT NULL,
    hash    text        NOT NULL,
    set_at  timestamptz,
    CONSTRAINT password_history_pkey PRIMARY KEY (user_id, seq),
    CONSTRAINT password_history_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

-- One-time-code challenges. user_id is NULL for a decoy challenge.
CREATE TABLE challenges (
    id           text        NOT NULL,
    user_id      text,
    purpose      text        NOT NULL,
    channel      text        NOT NULL,
    destination  text        NOT NULL,
    code_hash    bytea,
    created_at   timestamptz,
    expires_at   timestamptz,
    attempts     integer     NOT NULL,
    max_attempts integer     NOT NULL,
    sends        integer     NOT NULL,
    last_sent_at timestamptz,
    resend_at    timestamptz,
    consumed_at  timestamptz,
    payload      bytea,
    CONSTRAINT challenges_pkey PRIMARY KEY (id),
    CONSTRAINT challenges_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT challenges_user_check CHECK (user_id <> '')
);

CREATE INDEX challenges_user_idx ON challenges (user_id);

-- Per-destination send counters, one row per (key, fixed window).
CREATE TABLE send_counters (
    dest_key     text        NOT NULL,
    window_start timestamptz NOT NULL,
    n            integer     NOT NULL,
    CONSTRAINT send_counters_pkey PRIMARY KEY (dest_key, window_start)
);

-- Refresh tokens, by hash; a family is the chain of rotations of one login.
CREATE TABLE refresh_tokens (
    hash              bytea       NOT NULL,
    family_id         text        NOT NULL,
    user_id           text,
    issued_at         timestamptz,
    family_created_at timestamptz,
    expires_at        timestamptz,
    rotated_at        timestamptz,
    revoked_at        timestamptz,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (hash),
    CONSTRAINT refresh_tokens_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_user_check CHECK (user_id <> '')
);

CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE totp_enrollments (
    user_id         text        NOT NULL,
    secret_key_ref  text        NOT NULL DEFAULT '',
    secret_data     bytea,
    confirmed       boolean     NOT NULL DEFAULT false,
    created_at      timestamptz,
    confirmed_at    timestamptz,
    last_used_step  bigint      NOT NULL DEFAULT 0,
    CONSTRAINT totp_enrollments_pkey PRIMARY KEY (user_id),
    CONSTRAINT totp_enrollments_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE recovery_codes (
    user_id    text        NOT NULL,
    hash       bytea       NOT NULL,
    created_at timestamptz,
    used_at    timestamptz,
    CONSTRAINT recovery_codes_pkey PRIMARY KEY (user_id, hash),
    CONSTRAINT recovery_codes_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

-- KYC submissions; seq orders submissions with the same attempt number.
CREATE TABLE kyc_submissions (
    id                text        NOT NULL,
    seq               bigserial   NOT NULL,
    user_id           text        NOT NULL,
    attempt           integer     NOT NULL,
    status            text        NOT NULL,
    missing_documents text[],
    missing_fields    text[],
    reason            text        NOT NULL DEFAULT '',
    ssn_key_ref       text        NOT NULL DEFAULT '',
    ssn_data          bytea,
    created_at        timestamptz,
    updated_at        timestamptz,
    CONSTRAINT kyc_submissions_pkey PRIMARY KEY (id),
    CONSTRAINT kyc_submissions_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT kyc_submissions_status_check CHECK (status IN (
        '', 'not_started', 'init', 'under_review', 'waiting_for_information',
        'active', 'rejected', 'inactive'))
);

CREATE INDEX kyc_submissions_user_idx ON kyc_submissions (user_id, attempt);

-- The documents of a submission, in submission order (position).
CREATE TABLE kyc_documents (
    id              text        NOT NULL,
    submission_id   text        NOT NULL,
    position        integer     NOT NULL,
    doc_type        text        NOT NULL,
    issuing_country text        NOT NULL,
    media_type      text        NOT NULL,
    number_key_ref  text        NOT NULL DEFAULT '',
    number_data     bytea,
    content_key_ref text        NOT NULL DEFAULT '',
    content_data    bytea,
    expiry_date     text        NOT NULL DEFAULT '',
    description     text        NOT NULL DEFAULT '',
    warnings        jsonb,
    errors          jsonb,
    created_at      timestamptz,
    CONSTRAINT kyc_documents_pkey PRIMARY KEY (id),
    CONSTRAINT kyc_documents_submission_fkey FOREIGN KEY (submission_id) REFERENCES kyc_submissions (id) ON DELETE CASCADE
);

CREATE INDEX kyc_documents_submission_idx ON kyc_documents (submission_id, position);

-- Accounts; seq keeps creation order among equal created_at.
CREATE TABLE accounts (
    id                   text        NOT NULL,
    seq                  bigserial   NOT NULL,
    user_id              text        NOT NULL,
    active               boolean     NOT NULL DEFAULT false,
    trading_portfolio_id text        NOT NULL DEFAULT '',
    created_at           timestamptz,
    updated_at           timestamptz,
    CONSTRAINT accounts_pkey PRIMARY KEY (id),
    CONSTRAINT accounts_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX accounts_user_idx ON accounts (user_id);

-- Portfolios. The deposit address (key_id, chain, address_index) is unique
-- among portfolios that have one (key_id <> '').
CREATE TABLE portfolios (
    id              text        NOT NULL,
    seq             bigserial   NOT NULL,
    account_id      text        NOT NULL,
    user_id         text        NOT NULL,
    name            text        NOT NULL,
    portfolio_type  text        NOT NULL,
    chain           text        NOT NULL DEFAULT '',
    address         text        NOT NULL DEFAULT '',
    derivation_path text        NOT NULL DEFAULT '',
    key_id          text        NOT NULL DEFAULT '',
    address_index   bigint      NOT NULL DEFAULT 0,
    created_at      timestamptz,
    CONSTRAINT portfolios_pkey PRIMARY KEY (id),
    CONSTRAINT portfolios_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT portfolios_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT portfolios_account_name_key UNIQUE (account_id, name),
    CONSTRAINT portfolios_address_index_check CHECK (address_index BETWEEN 0 AND 4294967295)
);

CREATE UNIQUE INDEX portfolios_address_key ON portfolios (key_id, chain, address_index) WHERE key_id <> '';
CREATE INDEX portfolios_user_idx ON portfolios (user_id);

-- The next free address index per (chain, key id). Incremented outside any
-- caller transaction, so a rolled-back unit of work never frees an index.
CREATE TABLE address_counters (
    chain      text   NOT NULL,
    key_id     text   NOT NULL,
    next_index bigint NOT NULL,
    CONSTRAINT address_counters_pkey PRIMARY KEY (chain, key_id)
);

-- The append-only audit log. id is NULL when the event has none; user_id has
-- no foreign key (events outlive users and may name unknown ones).
CREATE TABLE events (
    seq        bigserial   NOT NULL,
    id         text,
    event_type text        NOT NULL,
    user_id    text        NOT NULL DEFAULT '',
    at         timestamptz,
    data       jsonb,
    CONSTRAINT events_pkey PRIMARY KEY (seq),
    CONSTRAINT events_id_key UNIQUE (id)
);

CREATE INDEX events_user_idx ON events (user_id, at, seq);
