package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/postgres"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var idSeq atomic.Int64

func newID(kind string) string { return fmt.Sprintf("%s-%d", kind, idSeq.Add(1)) }

func newUser() *storage.User {
	n := idSeq.Add(1)
	return &storage.User{
		ID: fmt.Sprintf("user-%d", n), Phone: fmt.Sprintf("+3360000%04d", n), PhoneVerified: true,
		Email: fmt.Sprintf("User%d@Example.com", n), EmailVerified: true, Status: "registered", KYCStatus: "not_started",
		CreatedAt: t0, UpdatedAt: t0,
	}
}

func mustCreateUser(t *testing.T, s storage.Store) *storage.User {
	t.Helper()
	u := newUser()
	require.NoError(t, s.CreateUser(context.Background(), u))
	return u
}

func newChallenge(userID string) *storage.Challenge {
	return &storage.Challenge{
		ID: newID("chal"), UserID: userID, Purpose: "login", Channel: "sms", Destination: "+33600000000",
		CodeHash: []byte("code-hash"), CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute),
		MaxAttempts: 5, Sends: 1, LastSentAt: t0, ResendAt: t0.Add(30 * time.Second),
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	for range 2 {
		require.NoError(t, st.Migrate(ctx))
	}
	var n, max int
	require.NoError(t, st.Pool().QueryRow(ctx,
		`SELECT count(*), max(version) FROM onboardkit_schema_migrations`).Scan(&n, &max))
	assert.Equal(t, postgres.SchemaVersion(), max)
	assert.Equal(t, postgres.SchemaVersion(), n, "one row per migration")
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []postgres.Option
	}{
		{"AdvisoryLock", nil},
		{"WithoutLock", []postgres.Option{postgres.WithoutMigrationLock()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn, schema := postgrestest.Schema(t)
			stores := make([]*postgres.Store, 3)
			for i := range stores {
				stores[i] = postgrestest.Open(t, dsn, schema, tc.opts...)
			}
			errs := make([]error, len(stores))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, st := range stores {
				wg.Go(func() {
					<-start
					errs[i] = st.Migrate(context.Background())
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				require.NoError(t, err, "migrator %d", i)
			}
			u := mustCreateUser(t, stores[0])
			_, err := stores[2].GetUser(context.Background(), u.ID)
			require.NoError(t, err)
		})
	}
}

func TestMigrateCreatesMissingSchema(t *testing.T) {
	t.Parallel()
	dsn, schema := postgrestest.Schema(t)
	// A schema that does not exist yet; dropped with the parent test's
	// clean-up below.
	missing := schema + "_new"
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		_, err = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+missing+" CASCADE")
		require.NoError(t, err)
	})
	st := postgrestest.Open(t, dsn, missing)
	require.NoError(t, st.Migrate(context.Background()))
	mustCreateUser(t, st)
	var n int
	require.NoError(t, st.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'users'`,
		missing).Scan(&n))
	assert.Equal(t, 1, n)
}

func TestNewRequiresSearchPath(t *testing.T) {
	t.Parallel()
	dsn, schema := postgrestest.Schema(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn) // no search_path
	require.NoError(t, err)
	defer pool.Close()
	err = postgres.New(pool, postgres.WithSchema(schema)).Migrate(ctx)
	require.ErrorContains(t, err, "search_path")

	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool2, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	defer pool2.Close()
	st := postgres.New(pool2, postgres.WithSchema(schema))
	require.NoError(t, st.Migrate(ctx))
	mustCreateUser(t, st)
	st.Close() // leaves the caller's pool open
	require.NoError(t, pool2.Ping(ctx))
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := postgres.Open(ctx, "postgres://u@127.0.0.1:1/x", postgres.WithSchema("bad-name; DROP"))
	require.ErrorContains(t, err, "schema name")
	_, err = postgres.Open(ctx, "postgres://u:secret@[bad")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret", "the password must not leak into errors")
}

// TestSchemaConstraints writes with raw SQL, bypassing the Go code: the
// schema itself must refuse what the contract forbids.
func TestSchemaConstraints(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	u := mustCreateUser(t, st)
	acct := &storage.Account{ID: newID("acct"), UserID: u.ID, CreatedAt: t0}
	require.NoError(t, st.CreateAccount(ctx, acct))

	insertUser := `INSERT INTO users (id, version, phone, phone_verified, email, email_verified, status)
		VALUES ($1, 1, $2, true, $3, true, $4)`
	cases := []struct {
		name       string
		sql        string
		args       []any
		code       string // SQLSTATE
		constraint string
	}{
		{"EmailDifferentCase", insertUser, []any{"x1", nil, "USER" + u.Email[4:], "registered"}, "23505", "users_email_verified_key"},
		{"SamePhone", insertUser, []any{"x2", u.Phone, nil, "registered"}, "23505", "users_phone_verified_key"},
		{"EmptyPhone", insertUser, []any{"x3", "", nil, "registered"}, "23514", "users_phone_check"},
		{"BadStatus", insertUser, []any{"x4", nil, nil, "blocked"}, "23514", "users_status_check"},
		{"BadKYCStatus", `INSERT INTO users (id, version, status, kyc_status) VALUES ('x5', 1, 'registered', 'approved')`, nil, "23514", "users_kyc_status_check"},
		{"BadKYCTier", `INSERT INTO users (id, version, status, kyc_tier) VALUES ('x6', 1, 'registered', 'KYC_9')`, nil, "23514", "users_kyc_tier_check"},
		{"PasswordOfNoUser", `INSERT INTO credentials (user_id, hash, seq) VALUES ('nobody', 'h', 1)`, nil, "23503", "credentials_user_fkey"},
		{"ChallengeOfNoUser", `INSERT INTO challenges (id, user_id, purpose, channel, destination, attempts, max_attempts, sends)
			VALUES ('c1', 'nobody', 'login', 'sms', 'x', 0, 5, 1)`, nil, "23503", "challenges_user_fkey"},
		{"TokenOfNoUser", `INSERT INTO refresh_tokens (hash, family_id, user_id) VALUES ('\x01', 'f', 'nobody')`, nil, "23503", "refresh_tokens_user_fkey"},
		{"TOTPOfNoUser", `INSERT INTO totp_enrollments (user_id) VALUES ('nobody')`, nil, "23503", "totp_enrollments_user_fkey"},
		{"KYCOfNoUser", `INSERT INTO kyc_submissions (id, user_id, attempt, status) VALUES ('k', 'nobody', 1, 'init')`, nil, "23503", "kyc_submissions_user_fkey"},
		{"KYCBadStatus", `INSERT INTO kyc_submissions (id, user_id, attempt, status) VALUES ('k', $1, 1, 'approved')`, []any{u.ID}, "23514", "kyc_submissions_status_check"},
		{"DocumentOfNoSubmission", `INSERT INTO kyc_documents (id, submission_id, position, doc_type, issuing_country, media_type)
			VALUES ('d', 'nosub', 0, 'passport', 'FRA', 'image/png')`, nil, "23503", "kyc_documents_submission_fkey"},
		{"AccountOfNoUser", `INSERT INTO accounts (id, user_id) VALUES ('a', 'nobody')`, nil, "23503", "accounts_user_fkey"},
		{"PortfolioOfNoAccount", `INSERT INTO portfolios (id, account_id, user_id, name, portfolio_type)
			VALUES ('p', 'noacct', $1, 'Main', 'TRADING')`, []any{u.ID}, "23503", "portfolios_account_fkey"},
		{"PortfolioIndexOutOfRange", `INSERT INTO portfolios (id, account_id, user_id, name, portfolio_type, key_id, address_index)
			VALUES ('p', $1, $2, 'Main', 'TRADING', 'k', 4294967296)`, []any{acct.ID, u.ID}, "23514", "portfolios_address_index_check"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := st.Pool().Exec(ctx, tc.sql, tc.args...)
			var pe *pgconn.PgError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.code, pe.Code)
			assert.Equal(t, tc.constraint, pe.ConstraintName)
		})
	}
	t.Run("UnverifiedIdentifiersRepeat", func(t *testing.T) {
		// The unique indexes cover verified holders only.
		ins := `INSERT INTO users (id, version, phone, phone_verified, email, email_verified, status)
			VALUES ($1, 1, $2, $3, $4, $3, 'registered')`
		for _, id := range []string{"y1", "y2"} {
			_, err := st.Pool().Exec(ctx, ins, id, u.Phone, false, "USER"+u.Email[4:])
			require.NoError(t, err)
		}
		_, err := st.Pool().Exec(ctx, ins, "y3", u.Phone, true, nil)
		assertConstraint(t, err, "users_phone_verified_key")
	})
	t.Run("PortfolioUniques", func(t *testing.T) {
		ins := `INSERT INTO portfolios (id, account_id, user_id, name, portfolio_type, chain, key_id, address_index)
			VALUES ($1, $2, $3, $4, 'TRADING', 'BTC', $5, $6)`
		_, err := st.Pool().Exec(ctx, ins, "p1", acct.ID, u.ID, "Main", "xpub", 0)
		require.NoError(t, err)
		_, err = st.Pool().Exec(ctx, ins, "p2", acct.ID, u.ID, "Main", "xpub", 1)
		assertConstraint(t, err, "portfolios_account_name_key")
		_, err = st.Pool().Exec(ctx, ins, "p3", acct.ID, u.ID, "Savings", "xpub", 0)
		assertConstraint(t, err, "portfolios_address_key")
		// Portfolios without a deposit key do not collide on the empty key.
		_, err = st.Pool().Exec(ctx, ins, "p4", acct.ID, u.ID, "A", "", 0)
		require.NoError(t, err)
		_, err = st.Pool().Exec(ctx, ins, "p5", acct.ID, u.ID, "B", "", 0)
		require.NoError(t, err)
	})
}

func assertConstraint(t *testing.T, err error, name string) {
	t.Helper()
	var pe *pgconn.PgError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "23505", pe.Code)
	assert.Equal(t, name, pe.ConstraintName)
}

func TestDuplicateErrors(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	u := mustCreateUser(t, st)
	acct := &storage.Account{ID: newID("acct"), UserID: u.ID, CreatedAt: t0}
	require.NoError(t, st.CreateAccount(ctx, acct))
	pf := &storage.Portfolio{ID: newID("pf"), AccountID: acct.ID, UserID: u.ID, Name: "Main", Type: "TRADING",
		Chain: "BTC", KeyID: "xpub", AddressIndex: 3}
	require.NoError(t, st.CreatePortfolio(ctx, pf))
	ch := newChallenge(u.ID)
	require.NoError(t, st.CreateChallenge(ctx, ch))
	tok := &storage.RefreshToken{Hash: []byte("tok"), FamilyID: "fam", UserID: u.ID}
	require.NoError(t, st.CreateRefreshToken(ctx, tok))
	ev := &storage.Event{ID: newID("ev"), Type: "user.registered", UserID: u.ID, At: t0}
	require.NoError(t, st.AppendEvent(ctx, ev))

	other := newUser()
	cases := []struct {
		name  string
		field string
		write func() error
	}{
		{"UserID", "id", func() error { v := newUser(); v.ID = u.ID; return st.CreateUser(ctx, v) }},
		{"Phone", "phone", func() error { v := newUser(); v.Phone = u.Phone; return st.CreateUser(ctx, v) }},
		{"EmailCase", "email", func() error { v := newUser(); v.Email = "uSeR" + u.Email[4:]; return st.CreateUser(ctx, v) }},
		{"UpdateToTakenEmail", "email", func() error {
			require.NoError(t, st.CreateUser(ctx, other))
			other.Email = u.Email
			return st.UpdateUser(ctx, other)
		}},
		{"ChallengeID", "id", func() error { return st.CreateChallenge(ctx, ch) }},
		{"Token", "token", func() error { return st.CreateRefreshToken(ctx, tok) }},
		{"AccountID", "id", func() error { return st.CreateAccount(ctx, acct) }},
		{"PortfolioName", "name", func() error {
			p := *pf
			p.ID, p.AddressIndex = newID("pf"), 4
			return st.CreatePortfolio(ctx, &p)
		}},
		{"PortfolioAddress", "address_index", func() error {
			p := *pf
			p.ID, p.Name = newID("pf"), "Other"
			return st.CreatePortfolio(ctx, &p)
		}},
		{"EventID", "id", func() error { return st.AppendEvent(ctx, ev) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.write()
			var de *storage.DuplicateError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tc.field, de.Field)
			assert.ErrorIs(t, err, storage.ErrDuplicate)
		})
	}
	// Events without an id never collide.
	require.NoError(t, st.AppendEvent(ctx, &storage.Event{Type: "x", UserID: u.ID}))
	require.NoError(t, st.AppendEvent(ctx, &storage.Event{Type: "x", UserID: u.ID}))
}

func TestMissingParentIsNotFound(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	for name, err := range map[string]error{
		"SetPassword":     st.SetPassword(ctx, "nobody", "h", t0, 5),
		"CreateChallenge": st.CreateChallenge(ctx, newChallenge("nobody")),
		"CreateAccount":   st.CreateAccount(ctx, &storage.Account{ID: newID("acct"), UserID: "nobody"}),
		"PutTOTP":         st.PutTOTP(ctx, &storage.TOTPEnrollment{UserID: "nobody"}),
	} {
		assert.ErrorIs(t, err, storage.ErrNotFound, name)
	}
	// A decoy challenge has no user.
	require.NoError(t, st.CreateChallenge(ctx, newChallenge("")))
}

// TestChallengeLocaleDefault: migration 0002 added challenges.locale, NOT
// NULL with the empty string as default, and 0003 challenges.proven, NOT
// NULL with false as default, so a row written without them (by a replica
// still on the old code during a rolling upgrade) reads as the default
// locale and not proven, and a NULL is refused.
func TestChallengeLocaleDefault(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	id := newID("chal")
	_, err := st.Pool().Exec(ctx, `INSERT INTO challenges (id, purpose, channel, destination, attempts, max_attempts, sends)
		VALUES ($1, 'login', 'sms', '+33600000000', 0, 5, 1)`, id)
	require.NoError(t, err)
	got, err := st.GetChallenge(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "", got.Locale)
	assert.False(t, got.Proven)
	for _, col := range []string{"locale", "proven"} {
		_, err = st.Pool().Exec(ctx, `UPDATE challenges SET `+col+` = NULL WHERE id = $1`, id)
		var pe *pgconn.PgError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "23502", pe.Code, "not_null_violation of %s", col)
	}

	c := newChallenge("")
	c.Locale = "fr-FR"
	require.NoError(t, st.CreateChallenge(ctx, c))
	got, err = st.GetChallenge(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, "fr-FR", got.Locale)
}

func TestUserRoundTrip(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	u := newUser()
	u.Locale, u.KYCTier, u.AdminLocked = "fr-FR", "KYC_0", true
	u.TokensValidAfter = t0.Add(time.Minute).In(paris) // read back in UTC
	u.LastAuthAt = t0.Add(1500 * time.Microsecond)
	u.Profile = storage.Sealed{KeyRef: "dek/1", Data: []byte{0, 1, 2}}
	u.Compliance = storage.Sealed{KeyRef: "dek/1", Data: []byte{3, 4}}
	require.NoError(t, st.CreateUser(ctx, u))
	assert.EqualValues(t, 1, u.Version)

	got, err := st.GetUserByEmail(ctx, "user"+u.Email[4:])
	require.NoError(t, err)
	want := u.Clone()
	want.TokensValidAfter = want.TokensValidAfter.UTC()
	assert.Equal(t, want, got)
	assert.Equal(t, time.UTC, got.CreatedAt.Location())

	// A clear profile (empty key ref) as it is, no compliance, empty phone
	// (NULL, not unique).
	got.Profile = storage.Sealed{Data: []byte("as given")}
	got.Compliance = storage.Sealed{}
	got.Phone = ""
	require.NoError(t, st.UpdateUser(ctx, got))
	assert.EqualValues(t, 2, got.Version)
	again, err := st.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, got, again)
	v := newUser()
	v.Phone = ""
	require.NoError(t, st.CreateUser(ctx, v), "two users without a phone")

	_, err = st.GetUserByPhone(ctx, "")
	assert.ErrorIs(t, err, storage.ErrNotFound)
	_, err = st.GetUserByEmail(ctx, "")
	assert.ErrorIs(t, err, storage.ErrNotFound)
}

func TestUpdateUserVersion(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	u := mustCreateUser(t, st)
	stale := u.Clone()
	u.Status = "contact_verified"
	require.NoError(t, st.UpdateUser(ctx, u))
	stale.Status = "locked"
	assert.ErrorIs(t, st.UpdateUser(ctx, stale), storage.ErrConflict)
	assert.EqualValues(t, 1, stale.Version, "a failed update leaves the version")
	missing := newUser()
	missing.Version = 1
	assert.ErrorIs(t, st.UpdateUser(ctx, missing), storage.ErrNotFound)
}

func TestChallengeConditionalWrites(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	u := mustCreateUser(t, st)

	ch := newChallenge(u.ID)
	ch.MaxAttempts = 2
	require.NoError(t, st.CreateChallenge(ctx, ch))
	assert.ErrorIs(t, st.ConsumeChallenge(ctx, ch.ID, []byte("wrong"), t0), storage.ErrConflict)
	n, err := st.FailChallengeAttempt(ctx, ch.ID, t0)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.NoError(t, st.ResendChallenge(ctx, ch.ID, 1, []byte("new"), t0, t0.Add(time.Minute), t0.Add(time.Hour)))
	assert.ErrorIs(t, st.ResendChallenge(ctx, ch.ID, 1, []byte("x"), t0, t0, t0), storage.ErrConflict, "stale sends")
	assert.ErrorIs(t, st.ConsumeChallenge(ctx, ch.ID, ch.CodeHash, t0), storage.ErrConflict, "replaced code")
	assert.ErrorIs(t, st.ConsumeChallenge(ctx, ch.ID, []byte("new"), t0.Add(2*time.Hour)), storage.ErrConflict, "expired")
	require.NoError(t, st.ConsumeChallenge(ctx, ch.ID, []byte("new"), t0))
	assert.ErrorIs(t, st.ConsumeChallenge(ctx, ch.ID, []byte("new"), t0), storage.ErrConflict, "consumed")
	_, err = st.FailChallengeAttempt(ctx, ch.ID, t0)
	assert.ErrorIs(t, err, storage.ErrConflict)
	got, err := st.GetChallenge(ctx, ch.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, got.Attempts)
	assert.Equal(t, 2, got.Sends)
	assert.Equal(t, t0, got.ConsumedAt)

	// A TOTP challenge has no code hash: nil matches nil.
	tc := newChallenge(u.ID)
	tc.CodeHash = nil
	require.NoError(t, st.CreateChallenge(ctx, tc))
	assert.ErrorIs(t, st.ConsumeChallenge(ctx, tc.ID, []byte("x"), t0), storage.ErrConflict)
	require.NoError(t, st.ConsumeChallenge(ctx, tc.ID, nil, t0))

	for name, err := range map[string]error{
		"Consume": st.ConsumeChallenge(ctx, "nope", nil, t0),
		"Resend":  st.ResendChallenge(ctx, "nope", 1, nil, t0, t0, t0),
		"SetAt":   st.SetChallengeResendAt(ctx, "nope", t0),
	} {
		assert.ErrorIs(t, err, storage.ErrNotFound, name)
	}
	_, err = st.FailChallengeAttempt(ctx, "nope", t0)
	assert.ErrorIs(t, err, storage.ErrNotFound)
}

// TestConsumeAcrossReplicas races many consumers of one code on two pools.
func TestConsumeAcrossReplicas(t *testing.T) {
	t.Parallel()
	a, b := postgrestest.NewPair(t)
	ctx := context.Background()
	u := mustCreateUser(t, a)
	ch := newChallenge(u.ID)
	require.NoError(t, a.CreateChallenge(ctx, ch))
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			switch err := st.ConsumeChallenge(ctx, ch.ID, ch.CodeHash, t0); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, storage.ErrConflict):
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, wins.Load())
	assert.EqualValues(t, 15, conflicts.Load())
}

func TestTxCommitRollbackJoin(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	errBoom := errors.New("boom")

	u := newUser()
	err := st.Tx(ctx, func(ctx context.Context, s storage.Store) error {
		require.NoError(t, s.CreateUser(ctx, u))
		return s.Tx(ctx, func(ctx context.Context, s2 storage.Store) error {
			assert.Same(t, s, s2, "nested Tx joins")
			require.NoError(t, s2.SetPassword(ctx, u.ID, "h", t0, 3))
			return errBoom
		})
	})
	require.ErrorIs(t, err, errBoom)
	_, err = st.GetUser(ctx, u.ID)
	assert.ErrorIs(t, err, storage.ErrNotFound, "rolled back")

	// A duplicate handled inside fn leaves the transaction usable.
	v := mustCreateUser(t, st)
	w := newUser()
	err = st.Tx(ctx, func(ctx context.Context, s storage.Store) error {
		dup := newUser()
		dup.Phone = v.Phone
		var de *storage.DuplicateError
		require.ErrorAs(t, s.CreateUser(ctx, dup), &de)
		require.NoError(t, s.CreateUser(ctx, w))
		assert.ErrorIs(t, s.RotateRefreshToken(ctx, []byte("missing"), &storage.RefreshToken{Hash: []byte("n")}, t0), storage.ErrNotFound)
		return s.SetPassword(ctx, w.ID, "h", t0, 3)
	})
	require.NoError(t, err)
	_, err = st.GetPassword(ctx, w.ID)
	require.NoError(t, err)

	// A panic rolls back and releases the connection.
	x := newUser()
	assert.Panics(t, func() {
		_ = st.Tx(ctx, func(ctx context.Context, s storage.Store) error {
			require.NoError(t, s.CreateUser(ctx, x))
			panic("boom")
		})
	})
	_, err = st.GetUser(ctx, x.ID)
	assert.ErrorIs(t, err, storage.ErrNotFound)
	assert.Zero(t, st.Pool().Stat().AcquiredConns())
}

// TestTxRetriesSerializationFailure provokes a real SQLSTATE 40001: at
// SERIALIZABLE, the first run of fn reads a user, another transaction
// updates it, and fn's update of the same row cannot serialize. Tx must roll
// back and run fn again, which then succeeds.
func TestTxRetriesSerializationFailure(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t, postgres.WithIsolation(pgx.Serializable), postgres.WithBackoff(0))
	ctx := context.Background()
	u := mustCreateUser(t, st)
	runs := 0
	err := st.Tx(ctx, func(ctx context.Context, s storage.Store) error {
		runs++
		got, err := s.GetUser(ctx, u.ID) // takes the snapshot
		if err != nil {
			return err
		}
		if runs == 1 {
			other, err := st.GetUser(ctx, u.ID) // outside the transaction
			require.NoError(t, err)
			other.Locale = "de-DE"
			require.NoError(t, st.UpdateUser(ctx, other))
		}
		got.Status = "contact_verified"
		return s.UpdateUser(ctx, got)
	})
	require.NoError(t, err)
	assert.Equal(t, 2, runs)
	got, err := st.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, "contact_verified", got.Status)
	assert.Equal(t, "de-DE", got.Locale)
	assert.EqualValues(t, 3, got.Version)
}

func TestTxRetryBudget(t *testing.T) {
	t.Parallel()
	serialization := &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
	deadlock := &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	cases := []struct {
		name     string
		retries  int
		failures int   // runs of fn that fail before it succeeds
		err      error // what fn fails with
		wantRuns int
		wantErr  bool
	}{
		{"SerializationRetried", 5, 2, serialization, 3, false},
		{"DeadlockRetried", 5, 1, deadlock, 2, false},
		{"BudgetSpent", 2, 10, serialization, 3, true},
		{"NoRetries", 0, 1, serialization, 1, true},
		{"OtherErrorNotRetried", 5, 1, errors.New("plain"), 1, true},
		{"ConflictNotRetried", 5, 1, storage.ErrConflict, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := postgrestest.New(t, postgres.WithRetries(tc.retries), postgres.WithBackoff(time.Microsecond))
			runs := 0
			u := newUser()
			err := st.Tx(context.Background(), func(ctx context.Context, s storage.Store) error {
				runs++
				if err := s.CreateUser(ctx, u); err != nil {
					return err
				}
				if runs <= tc.failures {
					return fmt.Errorf("wrapped: %w", tc.err)
				}
				return nil
			})
			assert.Equal(t, tc.wantRuns, runs)
			if tc.wantErr {
				require.ErrorIs(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

// namedPair returns two stores on one migrated schema whose connections
// carry the application names <schema>-a and <schema>-b (returned), so
// that waitBlocked can find them; adjust changes both pools.
func namedPair(t *testing.T, adjust func(*pgxpool.Config)) (a, b *postgres.Store, appA, appB string) {
	t.Helper()
	dsn, schema := postgrestest.Schema(t)
	open := func(app string) *postgres.Store {
		return postgrestest.Open(t, dsn, schema, postgres.WithPoolConfig(func(c *pgxpool.Config) {
			c.ConnConfig.RuntimeParams["application_name"] = app
			if adjust != nil {
				adjust(c)
			}
		}))
	}
	appA, appB = schema+"-a", schema+"-b"
	a, b = open(appA), open(appB)
	require.NoError(t, a.Migrate(context.Background()))
	return a, b, appA, appB
}

// waitBlocked waits until a connection with the application name app
// waits for a lock another session holds.
func waitBlocked(t *testing.T, app string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), postgrestest.DSN(t))
	require.NoError(t, err)
	defer func() { _ = conn.Close(context.Background()) }()
	require.Eventually(t, func() bool {
		var n int
		err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND cardinality(pg_blocking_pids(pid)) > 0`, app).Scan(&n)
		return err == nil && n > 0
	}, 10*time.Second, 5*time.Millisecond, "%s does not wait for a lock", app)
}

// holdTx runs a unit of work on st in the background: hold, then a wait
// until release is called (at the latest when the test ends, so that a
// failing test never leaves it waiting), then then when not nil. It
// returns once hold has run; done receives what Tx returned.
func holdTx(t *testing.T, st storage.Store, hold, then func(ctx context.Context, s storage.Store) error) (release func(), done <-chan error) {
	t.Helper()
	held, releaseCh := make(chan struct{}), make(chan struct{})
	release = sync.OnceFunc(func() { close(releaseCh) })
	t.Cleanup(release)
	out := make(chan error, 1)
	var once sync.Once // Tx may run its function again
	go func() {
		out <- st.Tx(context.Background(), func(ctx context.Context, s storage.Store) error {
			err := hold(ctx, s)
			once.Do(func() { close(held) })
			if err != nil {
				return err
			}
			<-releaseCh
			if then == nil {
				return nil
			}
			return then(ctx, s)
		})
	}()
	<-held
	return release, out
}

// TestAllocateAddressIndexInTx: an index allocated in a transaction that
// rolls back is handed out again, the allocation needs no connection
// besides the transaction's, and a second replica's allocation for the
// pair waits until the transaction ends.
func TestAllocateAddressIndexInTx(t *testing.T) {
	t.Parallel()
	a, b, _, appB := namedPair(t, func(c *pgxpool.Config) { c.MaxConns = 1 })
	ctx := context.Background()
	errBoom := errors.New("boom")
	err := a.Tx(ctx, func(ctx context.Context, s storage.Store) error {
		i, err := s.AllocateAddressIndex(ctx, "BTC", "xpub")
		require.NoError(t, err)
		assert.EqualValues(t, 0, i)
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)

	release, txDone := holdTx(t, a, func(ctx context.Context, s storage.Store) error {
		i, err := s.AllocateAddressIndex(ctx, "BTC", "xpub")
		if err == nil && i != 0 {
			err = fmt.Errorf("index %d after the rollback, want 0", i)
		}
		return err
	}, nil)
	got := make(chan uint32, 1)
	go func() {
		i, err := b.AllocateAddressIndex(ctx, "BTC", "xpub")
		assert.NoError(t, err)
		got <- i
	}()
	waitBlocked(t, appB)
	release()
	require.NoError(t, <-txDone)
	assert.EqualValues(t, 1, <-got, "the allocation after the committed one")
	i, err := a.AllocateAddressIndex(ctx, "ETH", "xpub")
	require.NoError(t, err)
	assert.EqualValues(t, 0, i, "pairs count separately")
}

// TestLockAccountHoldsAccount: while a unit of work holds an account,
// another replica's LockAccount and a portfolio insert naming it (outside
// any unit of work) wait, then see what the holder committed.
func TestLockAccountHoldsAccount(t *testing.T) {
	t.Parallel()
	a, b, _, appB := namedPair(t, nil)
	ctx := context.Background()
	u := mustCreateUser(t, a)
	acct := &storage.Account{ID: newID("acct"), UserID: u.ID, CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, a.CreateAccount(ctx, acct))
	pf := func(name string) *storage.Portfolio {
		return &storage.Portfolio{ID: newID("pf"), AccountID: acct.ID, UserID: u.ID, Name: name, Type: "TRADING", CreatedAt: t0}
	}

	for _, waiter := range []struct {
		name string
		fn   func() error
	}{
		{"LockAccount", func() error {
			return b.Tx(ctx, func(ctx context.Context, s storage.Store) error {
				if _, err := s.LockAccount(ctx, acct.ID); err != nil {
					return err
				}
				ps, err := s.ListPortfolios(ctx, acct.ID)
				if err == nil && len(ps) != 1 {
					err = fmt.Errorf("the waiter sees %d portfolios, want the holder's 1", len(ps))
				}
				return err
			})
		}},
		{"CreatePortfolio", func() error { return b.CreatePortfolio(ctx, pf("Waiter")) }},
	} {
		t.Run(waiter.name, func(t *testing.T) {
			release, holder := holdTx(t, a, func(ctx context.Context, s storage.Store) error {
				_, err := s.LockAccount(ctx, acct.ID)
				return err
			}, func(ctx context.Context, s storage.Store) error {
				if waiter.name == "LockAccount" {
					return s.CreatePortfolio(ctx, pf("Holder"))
				}
				return nil
			})
			waited := make(chan error, 1)
			go func() { waited <- waiter.fn() }()
			waitBlocked(t, appB)
			release()
			require.NoError(t, <-holder)
			require.NoError(t, <-waited)
		})
	}
}

// TestPortfolioCapSerializable: under SERIALIZABLE the snapshot of a unit
// of work may predate the commit of the account's previous holder; the
// stale count then fails with a serialization failure that Tx retries, so
// the cap still holds.
func TestPortfolioCapSerializable(t *testing.T) {
	t.Parallel()
	a, b := postgrestest.NewPair(t, postgres.WithIsolation(pgx.Serializable), postgres.WithRetries(30),
		postgres.WithBackoff(time.Millisecond))
	ctx := context.Background()
	u := mustCreateUser(t, a)
	acct := &storage.Account{ID: newID("acct"), UserID: u.ID, CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, a.CreateAccount(ctx, acct))
	const limit = 3
	var wg sync.WaitGroup
	for i := range 12 {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			err := st.Tx(ctx, func(ctx context.Context, s storage.Store) error {
				if _, err := s.LockAccount(ctx, acct.ID); err != nil {
					return err
				}
				ps, err := s.ListPortfolios(ctx, acct.ID)
				if err != nil || len(ps) >= limit {
					return err
				}
				return s.CreatePortfolio(ctx, &storage.Portfolio{ID: newID("pf"), AccountID: acct.ID, UserID: u.ID,
					Name: fmt.Sprintf("P%d", i), Type: "TRADING", CreatedAt: t0})
			})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	ps, err := a.ListPortfolios(ctx, acct.ID)
	require.NoError(t, err)
	assert.Len(t, ps, limit)
}

func TestRotateRefreshTokenAcrossReplicas(t *testing.T) {
	t.Parallel()
	a, b := postgrestest.NewPair(t)
	ctx := context.Background()
	u := mustCreateUser(t, a)
	old := &storage.RefreshToken{Hash: []byte("old"), FamilyID: "fam", UserID: u.ID, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	require.NoError(t, a.CreateRefreshToken(ctx, old))
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			next := &storage.RefreshToken{Hash: fmt.Appendf(nil, "next-%d", i), FamilyID: "fam", UserID: u.ID, IssuedAt: t0}
			switch err := st.RotateRefreshToken(ctx, old.Hash, next, t0); {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, storage.ErrConflict):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, wins.Load())
	var n int
	require.NoError(t, a.Pool().QueryRow(ctx, `SELECT count(*) FROM refresh_tokens WHERE family_id = 'fam'`).Scan(&n))
	assert.Equal(t, 2, n, "only the winner's next token is stored")

	// A taken next hash writes nothing, also inside a Tx.
	cur := &storage.RefreshToken{Hash: []byte("cur"), FamilyID: "fam2", UserID: u.ID}
	require.NoError(t, a.CreateRefreshToken(ctx, cur))
	err := a.Tx(ctx, func(ctx context.Context, s storage.Store) error {
		err := s.RotateRefreshToken(ctx, cur.Hash, &storage.RefreshToken{Hash: old.Hash, FamilyID: "fam2"}, t0)
		var de *storage.DuplicateError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, "token", de.Field)
		return nil
	})
	require.NoError(t, err)
	got, err := a.GetRefreshToken(ctx, cur.Hash)
	require.NoError(t, err)
	assert.True(t, got.RotatedAt.IsZero(), "the failed rotation left the token current")
}

func TestPasswordHistoryKeep(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	u := mustCreateUser(t, st)
	for i := range 6 {
		require.NoError(t, st.SetPassword(ctx, u.ID, fmt.Sprintf("h%d", i), t0, 3))
	}
	h, err := st.PasswordHistory(ctx, u.ID, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"h5", "h4", "h3"}, h)
	h, err = st.PasswordHistory(ctx, u.ID, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"h5", "h4"}, h)
	cur, err := st.GetPassword(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, "h5", cur)
	require.NoError(t, st.SetPassword(ctx, u.ID, "h6", t0, 0), "keep < 1 keeps one")
	h, err = st.PasswordHistory(ctx, u.ID, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"h6"}, h)
}

func TestRecoveryCodesAndTOTP(t *testing.T) {
	t.Parallel()
	a, b := postgrestest.NewPair(t)
	ctx := context.Background()
	u := mustCreateUser(t, a)
	require.NoError(t, a.PutTOTP(ctx, &storage.TOTPEnrollment{UserID: u.ID, Secret: storage.Sealed{Data: []byte("s")}, CreatedAt: t0}))
	require.NoError(t, a.UseTOTPStep(ctx, u.ID, 10))
	assert.ErrorIs(t, b.UseTOTPStep(ctx, u.ID, 10), storage.ErrConflict)
	assert.ErrorIs(t, b.UseTOTPStep(ctx, u.ID, 9), storage.ErrConflict)
	assert.ErrorIs(t, b.UseTOTPStep(ctx, "nobody", 9), storage.ErrNotFound)

	require.NoError(t, a.SetRecoveryCodes(ctx, u.ID, [][]byte{[]byte("c1"), []byte("c2"), []byte("c2")}, t0))
	n, err := b.CountRecoveryCodes(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			if err := st.UseRecoveryCode(ctx, u.ID, []byte("c1"), t0); err == nil {
				wins.Add(1)
			} else if !errors.Is(err, storage.ErrNotFound) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, wins.Load())
	require.NoError(t, a.DeleteTOTP(ctx, u.ID))
	n, err = a.CountRecoveryCodes(ctx, u.ID)
	require.NoError(t, err)
	assert.Zero(t, n)
	_, err = a.GetTOTP(ctx, u.ID)
	assert.ErrorIs(t, err, storage.ErrNotFound)
}

func TestCountSendAndPrune(t *testing.T) {
	t.Parallel()
	a, b := postgrestest.NewPair(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 10 {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			_, err := st.CountSend(ctx, "k", t0)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	n, err := a.CountSend(ctx, "k", t0)
	require.NoError(t, err)
	assert.Equal(t, 11, n)
	n, err = a.CountSend(ctx, "k", t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "windows are independent")
	deleted, err := a.PruneSendCounters(ctx, t0.Add(time.Minute))
	require.NoError(t, err)
	assert.EqualValues(t, 1, deleted)
	n, err = a.CountSend(ctx, "k", t0)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "a pruned window starts again")
}

func TestKYCRoundTrip(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	u := mustCreateUser(t, st)
	sub := &storage.KYCSubmission{
		ID: newID("kyc"), UserID: u.ID, Attempt: 1, Status: "under_review",
		MissingDocuments: []string{"selfie"}, SSN: storage.Sealed{KeyRef: "k", Data: []byte("123")},
		CreatedAt: t0, UpdatedAt: t0,
		Documents: []storage.KYCDocument{
			{ID: newID("doc"), Type: "passport", IssuingCountry: "FRA", MediaType: "image/png",
				Number: storage.Sealed{Data: []byte("P1")}, Content: storage.Sealed{KeyRef: "k", Data: []byte{1, 2}},
				Description: storage.Sealed{KeyRef: "k", Data: []byte{3}}, CreatedAt: t0,
				Warnings: []storage.Finding{{Code: "blurry", Message: "The image is blurry."}}},
			{ID: newID("doc"), Type: "id_card", IssuingCountry: "FRA", MediaType: "image/jpeg", CreatedAt: t0},
		},
	}
	require.NoError(t, st.CreateKYCSubmission(ctx, sub))
	got, err := st.LatestKYCSubmission(ctx, u.ID)
	require.NoError(t, err)
	want := sub.Clone()
	for i := range want.Documents {
		want.Documents[i].SubmissionID = sub.ID
	}
	assert.Equal(t, want, got)

	second := sub.Clone()
	second.ID, second.Attempt, second.Documents = newID("kyc"), 2, nil
	second.MissingDocuments = []string{}
	require.NoError(t, st.CreateKYCSubmission(ctx, second))

	got, err = st.LatestKYCSubmission(ctx, u.ID)
	require.NoError(t, err)
	want = second.Clone()
	want.MissingDocuments = nil
	assert.Equal(t, want, got)

	require.NoError(t, st.UpdateKYCSubmissionStatus(ctx, sub.ID, "waiting_for_information", "blurry", []string{"passport"}, t0.Add(time.Hour)))
	row := st.Pool().QueryRow(ctx, `SELECT status, reason, missing_documents FROM kyc_submissions WHERE id = $1`, sub.ID)
	var status, reason string
	var missing []string
	require.NoError(t, row.Scan(&status, &reason, &missing))
	assert.Equal(t, []any{"waiting_for_information", "blurry", []string{"passport"}}, []any{status, reason, missing})

	dupDoc := &storage.KYCSubmission{ID: newID("kyc"), UserID: u.ID, Attempt: 3, Status: "init",
		Documents: []storage.KYCDocument{{ID: sub.Documents[0].ID}}}
	var de *storage.DuplicateError
	require.ErrorAs(t, st.CreateKYCSubmission(ctx, dupDoc), &de)
	got, err = st.LatestKYCSubmission(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, second.ID, got.ID, "the failed submission wrote nothing")

	var docs []string
	rows, err := st.Pool().Query(ctx, `SELECT id FROM kyc_documents WHERE submission_id = $1 ORDER BY position`, sub.ID)
	require.NoError(t, err)
	docs, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	assert.Equal(t, []string{sub.Documents[0].ID, sub.Documents[1].ID}, docs)
}

// TestLookupsUseIndexes: the lookups by phone, by email and of the latest
// challenge are served in order by an index (a backward scan that stops at
// the first entry), never by a sort of the matching rows.
func TestLookupsUseIndexes(t *testing.T) {
	t.Parallel()
	conn := plannerConn(t, postgrestest.New(t))
	for _, tc := range []struct {
		name, query, index string
		args               []any
	}{
		{"ByPhone", postgres.UserLookup(postgres.ByPhone), "users_phone_idx", []any{"+33600000000"}},
		{"ByEmail", postgres.UserLookup(postgres.ByEmail), "users_email_lower_idx", []any{"a@example.com"}},
		{"LatestChallenge", postgres.ChallengeLookup(postgres.LatestChallengeWhere), "challenges_user_purpose_idx", []any{"u", "login"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := explain(t, conn, tc.query, tc.args...)
			assert.Contains(t, plan, "Index Scan Backward using "+tc.index, plan)
			assert.NotContains(t, plan, "Sort", plan)
		})
	}
}

// plannerConn returns a connection of st whose planner avoids sequential
// scans, sorts and bitmap scans (seeded tables are small: any other plan
// must look dear), released when the test ends.
func plannerConn(t *testing.T, st *postgres.Store) *pgxpool.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := st.Pool().Acquire(ctx)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := conn.Exec(ctx, "RESET ALL")
		assert.NoError(t, err)
		conn.Release()
	})
	for _, set := range []string{"enable_seqscan", "enable_sort", "enable_bitmapscan"} {
		_, err := conn.Exec(ctx, "SET "+set+" = off")
		require.NoError(t, err)
	}
	return conn
}

// explain returns the plan of the query.
func explain(t *testing.T, conn *pgxpool.Conn, query string, args ...any) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "EXPLAIN "+query, args...)
	require.NoError(t, err)
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return strings.Join(lines, "\n")
}

// TestReserveLoginAttemptReadsBlockingVersion: a reservation whose
// statement started before a concurrent transaction blocked the key, and
// then waited for that transaction's row lock, is refused and reports the
// count and deadline that blocked it, not the older row its snapshot saw.
func TestReserveLoginAttemptReadsBlockingVersion(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	p := storage.ThrottlePolicy{FreeFailures: 5, BaseDelay: 30 * time.Second, MaxDelay: 15 * time.Minute}
	key := newID("throttle")
	for range 4 {
		r, err := st.ReserveLoginAttempt(ctx, key, t0, p)
		require.NoError(t, err)
		require.True(t, r.Allowed)
	}
	tx, err := st.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	var blocker int
	require.NoError(t, tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&blocker))
	deadline := t0.Add(30 * time.Second)
	_, err = tx.Exec(ctx, `UPDATE login_throttles SET failures = 5, blocked_until = $2 WHERE key = $1`, key, deadline)
	require.NoError(t, err)

	type result struct {
		r   storage.Reservation
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := st.ReserveLoginAttempt(ctx, key, t0, p)
		done <- result{r, err}
	}()
	// Wait until the reservation's statement waits for the row lock.
	require.Eventually(t, func() bool {
		var n int
		err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`,
			blocker).Scan(&n)
		return err == nil && n > 0
	}, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, tx.Commit(ctx))
	got := <-done
	require.NoError(t, got.err)
	assert.Equal(t, storage.Reservation{Failures: 5, BlockedUntil: deadline}, got.r)
}
