// Package postgres is the PostgreSQL [storage.Store] of onboardkit, built on
// pgx (pgxpool): the reference store for running many replicas of a host
// service against one database.
//
// # Opening and migrating
//
// [Open] creates a pool from a DSN; [New] wraps a pool the caller already
// has. Either way, call [Store.Migrate] once at start-up (every replica may
// call it; see below) before using the Store. In a function returning an
// error, with the service's senders, secret and token key at hand:
//
//	st, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), postgres.WithSchema("onboardkit"))
//	if err != nil {
//		return err
//	}
//	defer st.Close()
//	if err := st.Migrate(ctx); err != nil {
//		return err
//	}
//	ring, err := seal.KeyringFromEnv("ONBOARDKIT_KEYRING") // the keyring sealing personal data
//	if err != nil {
//		return err
//	}
//	svc, err := onboarding.New(onboarding.Config{
//		Store:   st,
//		SMS:     sms,    // an otp.SMSSender, e.g. otp.NewTwilio
//		Email:   mailer, // an otp.EmailSender, e.g. otp.NewSMTP
//		Secret:  secret, // 32 random bytes or more, the same on every replica
//		Keyring: ring,
//		Tokens:  onboarding.TokenConfig{SigningKey: signingKey},
//	})
//	if err != nil {
//		return err
//	}
//	return http.ListenAndServe(":8080", httpapi.New(svc, httpapi.Config{}))
//
// (ExampleOpen_service is this snippet, compiled.)
//
// The schema ships as embedded SQL files (migrations/0001_init.sql, ...)
// applied in order. Applied versions are recorded in the table
// onboardkit_schema_migrations; each migration runs in one transaction
// together with its version row.
//
// # Schema option
//
// [WithSchema] keeps every table in a dedicated schema, which is recommended
// (the tables have plain names such as users and accounts). With Open the
// pool's connections get that search_path. With New the caller must set it on
// the pool before creating it, for example
//
//	cfg.ConnConfig.RuntimeParams["search_path"] = "onboardkit"
//
// or search_path=onboardkit in the DSN, and pass WithSchema("onboardkit") too:
// Migrate then creates the schema when missing and refuses to run when the
// connections resolve to another one.
//
// # Consistency across replicas
//
// Everything the storage contract calls atomic is a single conditional
// statement, so two replicas can never both win:
//
//   - unique constraints on refresh-token hashes, portfolio (account, name)
//     and deposit address (key, chain, index), and partial unique indexes
//     on users.phone WHERE phone_verified and lower(users.email) WHERE
//     email_verified (uniqueness holds among verified holders only); a
//     violation maps to *storage.DuplicateError by constraint or index name;
//   - UpdateUser is UPDATE ... WHERE id = $1 AND version = $2 (optimistic
//     locking);
//   - FailChallengeAttempt, ConsumeChallenge, ResendChallenge, UseTOTPStep,
//     UseRecoveryCode are UPDATE ... WHERE <state still as expected>; when
//     nothing matches, a follow-up existence check tells storage.ErrNotFound
//     from storage.ErrConflict;
//   - ReserveLoginAttempt is one INSERT ... ON CONFLICT DO UPDATE ... WHERE
//     <not blocked at now> RETURNING: the count and the deadline are
//     decided on the newest row version under its lock, so of concurrent
//     callers at most the free failures pass and no count is lost; a
//     refused attempt updates nothing, and the same statement reads the
//     stored count and deadline (read again only when the blocking version
//     was committed after the statement's snapshot was taken);
//   - CountSend and AllocateAddressIndex are INSERT ... ON CONFLICT DO UPDATE
//     increments. On the Store of a Tx, AllocateAddressIndex runs in the
//     transaction: the counter row of the (chain, key) pair stays locked
//     until the transaction ends, so units of work allocating for one
//     pair take turns and never get the same index, and a rollback undoes
//     the increment, so the next allocation hands the index out again
//     (indexes are never lost to a portfolio creation that failed). Keep
//     the allocation late in the unit: every other allocation for the pair
//     waits for it;
//   - LockAccount on the Store of a Tx is SELECT ... FOR UPDATE: the row
//     stays locked until the transaction ends, and the KEY SHARE lock that
//     a portfolio insert's foreign-key check takes on it waits too, so a
//     unit of work that locks the account, counts its portfolios and
//     creates one enforces a cap across replicas;
//   - RotateRefreshToken marks the old token rotated with a conditional
//     UPDATE and inserts the next one in the same transaction.
//
// Lock order: a unit of work that does both locks the account row first
// (LockAccount), then the counter row (AllocateAddressIndex). The opposite
// order can deadlock with a unit that follows the rule (one holds the
// counter and waits for the account, the other the reverse); so can a unit
// that allocates and then creates a portfolio without locking the account
// first, since the insert's foreign-key check waits for a LockAccount
// holder. PostgreSQL then aborts one of them with SQLSTATE 40P01 after
// deadlock_timeout (1s by default), and Tx retries it, at the cost of that
// delay.
//
// The schema itself holds the invariants, also for writes that bypass this
// package: foreign keys from every per-user table to users (and from
// portfolios to accounts, from KYC documents to submissions), CHECK
// constraints on the registration and KYC statuses and the KYC tier. A write
// naming a missing user (or account, or submission) returns an error
// wrapping storage.ErrNotFound. Deleting a user row cascades to its records,
// except the audit log, the login throttles and the data keys (whose keys
// name no record); [Store.DeleteUser] is that one DELETE.
// [Store.DeleteUserRecords] deletes the same records but keeps the user row
// (and, when asked, the KYC submissions), one DELETE per table in one
// atomic batch.
//
// # Sealed personal data and data keys
//
// Personal data beyond the login identifiers is sealed before it reaches
// the store (package seal), and stored as it comes: each sealed value is
// two columns, <name>_key_ref (text, the empty string when empty) and
// <name>_data (bytea, NULL when empty): users.profile_*, users.compliance_*
// and users.metadata_*, kyc_submissions.ssn_*, kyc_documents.number_*,
// content_* and description_*, totp_enrollments.secret_*,
// accounts.email_* and accounts.info_*. Phones and emails stay in clear in
// users: they are the login identifiers, looked up and kept unique. (Roles,
// users.roles, are an operator's labels, a text[] in clear.)
//
// Migration 0005 replaced the clear profile, compliance and document
// description columns of earlier versions by these. It refuses to drop
// clear personal data: on a database where any row still holds some, it
// fails with a message naming the rows to export (or the columns to clear
// deliberately), changes nothing, and Migrate returns that error.
//
// The users' data keys ([Store.CreateDataKey] and the other
// storage.DataKeys methods), wrapped by the keyring's key-encryption keys,
// live in the table data_keys, without a foreign key: a key outlives the
// records it sealed until the caller deletes it, and deleting it makes
// every value sealed with it unreadable, in the database and in its
// backups (crypto-shredding). That holds only against backups that do not
// hold the key too: keep the table's data out of the long-lived backups
// and back it up apart with a short retention (no longer than erasure may
// take), for example
//
//	pg_dump --exclude-table-data='onboardkit.data_keys' app > app.sql
//	pg_dump --data-only --table='onboardkit.data_keys' app > data_keys.sql
//
// (with the schema of [WithSchema]; restoring app.sql without a recent
// data_keys.sql leaves every sealed value unreadable). [Store.ListDataKeys]
// walks the primary key, in the order of the database collation (byte
// order under C and C.UTF-8, as in the in-memory store).
//
// # Searching and paging
//
// [Store.SearchUsers] is one query: the filters, then the cursor as a
// row-value comparison (created_at, id COLLATE "C") > ($1, $2), ordered by
// created_at NULLS FIRST, id COLLATE "C" and limited; the index
// users_created_idx (migration 0006) holds the rows in that order, so a
// page is a range scan that starts at the cursor. Ids compare bytewise
// (COLLATE "C"), as Go and the in-memory store compare strings, whatever
// the database collation; a NULL created_at (the zero time) sorts first.
// A user keeps its place in that order while its CreatedAt stays as
// stored, so pages read one after another see every user that existed at
// the first exactly once, however many are created meanwhile.
// [Store.ListEvents] pages by the events' seq (bigserial, set at insert
// and returned by [Store.AppendEvent]) with the index events_user_seq_idx;
// [Store.ListSessions] orders a user's live tokens by family_created_at
// descending, then family_id COLLATE "C".
//
// Migration 0006 also marks the profile of every user who held one as
// complete (users.profile_complete): before it, a profile was only ever
// saved whole.
//
// # Rate limits and replay cache
//
// [Store.Limiter] and [Store.ReplayCache] implement the interfaces of
// package ratelimit in the tables rate_limits and replay_nonces (migration
// 0004), so that request limits and one-time signatures hold across every
// replica sharing the database. Each decision is one statement on the pool
// (one round trip once pgx has prepared it on the connection): a GCRA
// upsert for the limiter, a conditional upsert for the replay cache; both
// take the time from an injected clock ([WithLimiterClock]), never from
// the database. Expired rows are left in place and change no decision;
// [Store.PruneRateLimits] and [Store.PruneReplayNonces] delete them, for a
// janitor to call from time to time.
//
// rate_limits is UNLOGGED (migration 0010): its updates, one per limited
// request, write no WAL and wait for no flush. After a crash of the server
// the table is empty, and a standby does not have it: the limits start
// again from full allowances, for one window. replay_nonces stays logged,
// so that a signature seen before a crash is still refused after it.
//
// # Janitor
//
// Expired rows are left in place until a janitor deletes them: the
// storage.Janitor methods ([Store.PruneChallenges],
// [Store.PruneRefreshTokens], [Store.PruneSendCounts],
// [Store.PruneLoginThrottles], [Store.PruneEvents]) are one DELETE each of
// the rows a subquery selects, the oldest first, at most a batch of them,
// FOR UPDATE SKIP LOCKED: janitors on several replicas take different
// rows instead of waiting, and each row is deleted and counted once. The
// subquery walks an index of migration 0008 (challenges_expires_idx,
// refresh_tokens_end_idx on the earlier of a token's revocation and idle
// expiry, send_counters_window_idx, login_throttles_updated_idx,
// events_at_idx) and stops after the batch, so a batch costs the same
// however large the table. A refresh token is deleted only with its whole
// family (every token of it ended); an event keeps its place while it is
// not enqueued or a delivery of it is pending. PruneEvents deletes the
// event's deliveries in the same statement, each only while it is not
// pending (rechecked on the newest row version), and the event only when
// all of them went, so a delivery that a concurrent ReplayDelivery made
// pending stays, with its event.
//
// # Webhook outbox
//
// The audit log is the outbox of the webhook deliveries (migration 0007):
// events carry an enqueued mark (events_not_enqueued_idx holds the
// unmarked ones), and webhook_deliveries holds one row per (endpoint,
// event). Each method of storage.Outbox is one statement, so a deliverer on
// every replica is safe:
//
//   - [Store.EnqueueDeliveries] selects the events not enqueued, lowest seq
//     first, FOR NO KEY UPDATE SKIP LOCKED, marks them and inserts their
//     deliveries, in one data-modifying WITH query: concurrent enqueuers
//     skip each other's events instead of waiting, and an event is
//     enqueued once (its mark is rechecked on the newest row version).
//     Events of a transaction still open are invisible, hence taken once
//     it commits, possibly after other users' events with a greater seq.
//     A user's events commit in seq order: [Store.AppendEvent] first takes
//     a transaction-scoped advisory lock of the user,
//     pg_advisory_xact_lock(1869309302, hashtext(user id)), so a second
//     unit appending an event of the same user waits until the first one
//     ends, and only then draws its seq. (Two units appending events of
//     the same two users in opposite orders deadlock; the retry loop runs
//     one again. The steps of onboarding append their events last.)
//   - [Store.ClaimDeliveries] selects the due pending deliveries (through
//     webhook_deliveries_due_idx) that have no earlier pending delivery of
//     their user to their endpoint (webhook_deliveries_user_order_idx),
//     FOR UPDATE SKIP LOCKED, and sets their token and lease in the same
//     statement. A claimer that skips a locked delivery still sees it
//     pending, so it never takes the user's next one in its place; nor a
//     delivery whose user has an earlier event not enqueued yet (one that
//     a concurrent enqueuer holds while a later one was enqueued beside
//     it).
//   - [Store.CompleteDelivery], [Store.FailDelivery] and
//     [Store.ReplayDelivery] are UPDATE ... WHERE <still held by the
//     token, or failed>; when nothing matches, a follow-up existence check
//     tells storage.ErrNotFound from storage.ErrConflict.
//
// The events that existed before migration 0007 are marked enqueued: they
// are never delivered. Deliveries reference their event ON DELETE CASCADE
// (webhook_deliveries_event_idx serves the cascade). Provider
// notifications already applied ([Store.RecordProviderEvent]) are rows of
// provider_events, keyed by (provider, event_id).
//
// # Outages
//
// Errors saying that the database cannot be reached (connection refused or
// lost, a server shutting down, no pooled connection free before the
// context's deadline, a closed pool) wrap storage.ErrUnavailable, from
// every method, Tx and [Open] included; the caller's cancellation of its
// context does not. Nothing needs restarting: pgxpool drops broken
// connections and dials again on the next use, so the same Store works
// once the database answers. [Store.Ping] is the readiness check.
//
// # Transactions and retries
//
// [Store.Tx] runs at READ COMMITTED by default: every atomic method is one
// conditional statement, which PostgreSQL re-checks against the newest row
// version, so those need no stronger level, and READ COMMITTED avoids the
// false conflicts SERIALIZABLE raises under load. A unit of work that decides
// from what it read (no account yet, so create one) must also make a
// conditional write covering that decision, typically UpdateUser with the
// version it read: of two such units of work on one user, one then fails with
// storage.ErrConflict. Callers that cannot arrange this select
// pgx.Serializable with [WithIsolation]. A serialization failure (SQLSTATE 40001) or
// deadlock (40P01), raised inside fn or by the commit, rolls the transaction
// back and runs fn again, at most [WithRetries] times (default 5) after a
// jittered exponential backoff ([WithBackoff]); fn must therefore have no
// side effect outside the store. The Store passed to fn is bound to the
// transaction: Tx on it joins the transaction, and it must not be used
// concurrently or after fn returns. Inside a Tx, each write that can violate
// a constraint runs under a savepoint, so a *storage.DuplicateError leaves
// the transaction usable, as with the in-memory store.
//
// # Round trips
//
// A transaction costs no round trip of its own (pipe.go): BEGIN goes in
// one pgx.Batch with the transaction's first statement, and COMMIT with
// its last writes. The write-behind view of the Store a Tx passes to fn
// ([Store.Behind], storage.WriteBehind) goes further: CreateUser,
// UpdateUser, SetPassword, CreateChallenge, ConsumeChallenge, CapSend,
// CreateRefreshToken, RevokeUserSessions(Except), CreateKYCSubmission,
// CreateAccount, CreatePortfolio, AppendEvent, ResetLoginAttempts and the
// writes that report a missing row (SetTradingPortfolio,
// UpdateKYCSubmissionStatus, DeleteUser, DeleteDataKey, DeletePasskey)
// made through it are queued and sent, in order, before the transaction's
// next statement or with its COMMIT, without savepoints; their error is
// returned by the call that carried them, or by Tx, and fails the unit.
//
// The conditional ones check themselves when they run
// (onboardkit_expect_one, migration 0011), so that they too can share
// COMMIT's batch: a stale UpdateUser raises a serialization failure (Tx
// runs the unit again), a ConsumeChallenge with nothing to consume
// SQLSTATE OB409 (storage.ErrConflict), a write that finds no row OB404
// (storage.ErrNotFound), and a CapSend (storage.SendCapper) over its
// limit OB429 (storage.ErrSendLimit), so that a proven send's count need
// not come back before the unit commits. SetPassword and
// RotateRefreshToken are one statement each (data-modifying CTEs), and
// GetLogin reads a user with its password hash, authenticator and passkey
// count.
//
// Round trips: a sign-up three (the identifier lookup; BEGIN with the
// user, password and send count; the challenge, event and COMMIT), a
// confirmation three (the challenge; BEGIN with its consumption and the
// user's read; the user's update, the refresh token, the event and
// COMMIT), a login three (the user with its hash; the throttle's
// reservation, which must commit before the password is checked; BEGIN
// with the throttle's reset, the send count, the challenge and COMMIT),
// its code three, a refresh three. TestRoundTrips pins them, statements
// included, with a pgx tracer.
//
// Times are stored as timestamptz in UTC and read back in UTC; a zero
// time.Time is NULL and reads back as the zero time. PostgreSQL keeps
// microseconds, so finer times are truncated (the in-memory store keeps
// nanoseconds). Empty byte slices, string slices and finding lists read back
// as nil.
//
// # CockroachDB and other PostgreSQL-compatible databases
//
// The migrations are plain SQL without extensions or triggers
// (expression and partial unique indexes, jsonb, text[], bigserial,
// ON CONFLICT), where bigserial columns (used only to order rows created at
// the same time) come from unique_rowid() on CockroachDB. Migration 0005
// checks the existing rows in a DO block, and migrations 0011 and 0012 add
// two functions (onboardkit_expect_one, onboardkit_revoke_sessions), in
// PL/pgSQL, built into PostgreSQL, which CockroachDB runs from v25.1: that
// is the oldest CockroachDB the migrations run on. (The functions have not
// been tried on CockroachDB; onboardkit_revoke_sessions relies on each of
// its statements taking a new snapshot under READ COMMITTED.) The
// exceptions:
//
//   - CockroachDB has no usable session advisory locks: open the Store with
//     [WithoutMigrationLock]. Migrate then relies on the version table's
//     primary key (each migration's transaction inserts its version row
//     first, ON CONFLICT DO NOTHING), so concurrent migrators still apply
//     each migration once; running Migrate from a single deploy job is the
//     simplest choice there.
//   - AppendEvent's advisory lock (see Webhook outbox) has not been tried
//     on CockroachDB; where the database accepts the call without taking a
//     lock, two concurrent units of one user can commit its events out of
//     seq order, and the webhook outbox can then deliver them out of
//     order.
//   - CockroachDB runs every transaction SERIALIZABLE whatever the requested
//     level unless read committed is enabled on the cluster, so expect
//     40001 retries under contention; the retry loop handles them.
//   - Case-insensitive email uniqueness uses lower(), whose behaviour on
//     non-ASCII letters depends on the database collation (the in-memory
//     store uses Go's strings.ToLower). Likewise the id that breaks a tie
//     of created_at between unverified holders of a phone or email, or
//     between challenges (LatestChallenge), is compared in the database
//     collation (byte order under C and C.UTF-8, as in the in-memory
//     store).
//   - SearchUsers and ListSessions write COLLATE "C" in their comparisons
//     and orders, and users_created_idx indexes id COLLATE "C".
//     CockroachDB compares strings bytewise anyway and accepts COLLATE
//     "C" in expressions from v22.2 (ignoring it); the index declaration
//     has not been tried on CockroachDB.
package postgres
