-- 0007_webhook_outbox: the audit log becomes the outbox of the webhook
-- deliveries (storage.Outbox), and the notifications of KYC providers
-- already applied are remembered (storage.ProviderEvents).
--
-- Conventions of 0001_init still hold (a zero time.Time is NULL), except
-- for webhook_deliveries.next_attempt_at, which the claim compares and
-- indexes: NOT NULL, a zero time is stored as '-infinity' (due at once).

-- Every event gets an enqueued mark: EnqueueDeliveries takes the events not
-- enqueued yet, lowest seq first (SELECT ... FOR NO KEY UPDATE SKIP LOCKED,
-- so that concurrent deliverers take different events without waiting),
-- creates their deliveries and marks them, in one statement.
--
-- The history before the outbox is never delivered: the events that exist
-- when this migration runs are marked enqueued, and only the events
-- appended from now on reach the webhook endpoints. Adding the column with
-- DEFAULT true gives every existing row true without rewriting the table
-- (PostgreSQL 11+ stores the value once, in the catalog); the default then
-- becomes false for the rows inserted from now on.
ALTER TABLE events ADD COLUMN enqueued boolean NOT NULL DEFAULT true;
ALTER TABLE events ALTER COLUMN enqueued SET DEFAULT false;

-- The events still to enqueue, in seq order: small, since the deliverer
-- keeps up (an event leaves the index as soon as it is enqueued).
CREATE INDEX events_not_enqueued_idx ON events (seq) WHERE NOT enqueued;

-- One row per (endpoint, event): the delivery of an event to a webhook
-- endpoint. user_id is copied from the event, for the per-user order of the
-- claim (a delivery is not claimed while an earlier pending delivery of its
-- user to its endpoint exists; '' is no user, never ordered). A pending
-- delivery is due at next_attempt_at; claim_token ('' when none) and
-- lease_until (NULL when none) name the claim holding it. attempts counts
-- the failed attempts; last_status (0: no answer) and last_error describe
-- the last one. Events may be pruned one day: their deliveries go with them.
CREATE TABLE webhook_deliveries (
    endpoint_id     text        NOT NULL,
    event_seq       bigint      NOT NULL,
    user_id         text        NOT NULL DEFAULT '',
    state           text        NOT NULL DEFAULT 'pending',
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claim_token     text        NOT NULL DEFAULT '',
    lease_until     timestamptz,
    last_status     integer     NOT NULL DEFAULT 0,
    last_error      text        NOT NULL DEFAULT '',
    created_at      timestamptz,
    delivered_at    timestamptz,
    CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (endpoint_id, event_seq),
    CONSTRAINT webhook_deliveries_event_fkey FOREIGN KEY (event_seq) REFERENCES events (seq) ON DELETE CASCADE,
    CONSTRAINT webhook_deliveries_endpoint_check CHECK (endpoint_id <> ''),
    CONSTRAINT webhook_deliveries_state_check CHECK (state IN ('pending', 'delivered', 'failed')),
    CONSTRAINT webhook_deliveries_attempts_check CHECK (attempts >= 0)
);

-- The claim: the pending deliveries due at now (next_attempt_at <= $now),
-- the lowest event_seq first. Partial, so that delivered and failed rows
-- (almost all of them, in time) cost the claim nothing. A claim sets only
-- claim_token and lease_until, which no index holds, so its updates can be
-- HOT.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, event_seq)
    WHERE state = 'pending';

-- The per-user order of the claim: is there an earlier pending delivery of
-- the same user to the same endpoint (leased or not due yet included)?
CREATE INDEX webhook_deliveries_user_order_idx ON webhook_deliveries (endpoint_id, user_id, event_seq)
    WHERE state = 'pending';

-- The deliveries of an event: the cascade of a pruned event, and
-- ListDeliveries across endpoints (ordered by event_seq).
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_seq);

-- The notifications of KYC providers already applied, by the provider's
-- event id: recording one again is a unique violation, so a notification
-- delivered twice decides nothing new. The pairs name no record.
CREATE TABLE provider_events (
    provider    text        NOT NULL,
    event_id    text        NOT NULL,
    received_at timestamptz,
    CONSTRAINT provider_events_pkey PRIMARY KEY (provider, event_id)
);
