-- 0009_passkeys: the users' WebAuthn credentials (storage.Passkeys).
-- The credential id is the authenticator's, unique across users; only the
-- COSE public key is held. sign_count is compared and set in one
-- conditional UPDATE (UsePasskey), so two replicas never both accept
-- assertions that read the same counter. WebAuthn ceremonies are
-- challenges (the challenges table, channel 'passkey').

CREATE TABLE passkeys (
    id                 text        NOT NULL,
    user_id            text        NOT NULL,
    credential_id      bytea       NOT NULL,
    user_handle        bytea       NOT NULL,
    public_key         bytea       NOT NULL,
    attestation_format text        NOT NULL DEFAULT '',
    aaguid             bytea,
    sign_count         bigint      NOT NULL DEFAULT 0,
    transports         text[]      NOT NULL DEFAULT '{}',
    backup_eligible    boolean     NOT NULL DEFAULT false,
    backup_state       boolean     NOT NULL DEFAULT false,
    name               text        NOT NULL DEFAULT '',
    created_at         timestamptz,
    last_used_at       timestamptz,
    CONSTRAINT passkeys_pkey PRIMARY KEY (id),
    CONSTRAINT passkeys_credential_key UNIQUE (credential_id),
    CONSTRAINT passkeys_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT passkeys_sign_count_check CHECK (sign_count BETWEEN 0 AND 4294967295)
);

CREATE INDEX passkeys_user_idx ON passkeys (user_id, created_at);
