package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp/otptest"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage/postgres"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// BenchmarkScale is the per-operation latency of the journey's main steps,
// one client, on a database of 10,000 users and on one of
// ONBOARDKIT_BENCH_USERS users (default 1,000,000), interleaved in one
// run: each iteration runs every step on the small database, then on the
// large one. Each database holds, per user, a password, a confirmed
// refresh token, a spent challenge and two audit events, as real sign-ups
// leave them. Hashing uses password.TestParams: the figure is the store's
// part. It reports the milliseconds of each step at each size and their
// ratio (large/small); seeding the large database takes a minute or two.
//
//	ONBOARDKIT_TEST_POSTGRES=… go test ./storage/postgres -run '^$' -bench Scale -benchtime 200x
func BenchmarkScale(b *testing.B) {
	large := 1_000_000
	if v := os.Getenv("ONBOARDKIT_BENCH_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err, "ONBOARDKIT_BENCH_USERS")
		large = n
	}
	sizes := []int{10_000, large}
	rigs := make([]*scaleRig, len(sizes))
	for i, n := range sizes {
		rigs[i] = newScaleRig(b, n)
	}
	steps := []string{"signup", "confirm", "login-phone", "login-email", "login-code", "refresh"}
	spent := make([]map[string]time.Duration, len(sizes))
	for i := range spent {
		spent[i] = map[string]time.Duration{}
	}
	for i, r := range rigs { // warm the statement caches and the pools
		r.journey(b, spent[i])
		spent[i] = map[string]time.Duration{}
	}
	b.ResetTimer()
	for b.Loop() {
		for i, r := range rigs {
			r.journey(b, spent[i])
		}
	}
	b.StopTimer()
	n := float64(b.N)
	for _, st := range steps {
		small, big := spent[0][st].Seconds()*1000/n, spent[1][st].Seconds()*1000/n
		b.ReportMetric(small, st+"-ms@10k")
		b.ReportMetric(big, fmt.Sprintf("%s-ms@%dk", st, large/1000))
		b.ReportMetric(big/small, st+"-ratio")
	}
}

// scaleRig is a Service on a database seeded with n users.
type scaleRig struct {
	n    int
	svc  *onboarding.Service
	sent *otptest.Recorder
	seq  int
	pw   string
}

func newScaleRig(b *testing.B, n int) *scaleRig {
	b.Helper()
	ctx := context.Background()
	st := postgrestest.New(b)
	hasher, err := password.NewHasher(password.HasherConfig{Params: password.TestParams()}, onboardkit.Runtime{})
	require.NoError(b, err)
	r := &scaleRig{n: n, sent: otptest.NewRecorder(), pw: "correct-horse-7-battery"}
	hash, err := hasher.Hash(ctx, r.pw)
	require.NoError(b, err)
	seedUsers(b, st, n, hash)
	key, err := onboarding.NewSigningKey("k", nil)
	require.NoError(b, err)
	ring, err := seal.NewEphemeralKeyring("scale")
	require.NoError(b, err)
	r.svc, err = onboarding.New(onboarding.Config{Store: st, SMS: r.sent, Email: r.sent,
		Secret: []byte("a scale benchmark secret of 32+ bytes"), Keyring: ring, Hasher: hasher,
		Tokens: onboarding.TokenConfig{SigningKey: key},
	})
	require.NoError(b, err)
	return r
}

// seedUsers inserts n users (ids 00000000-…-<i in hex>) (phone +3362…, email s…@example.com, verified,
// the password hash given) with their records, in one statement per table,
// and analyzes the tables.
func seedUsers(b *testing.B, st *postgres.Store, n int, hash string) {
	b.Helper()
	ctx := context.Background()
	stmts := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO users (id, version, phone, phone_verified, email, email_verified, locale, status, kyc_status, kyc_tier,
			profile_key_ref, compliance_key_ref, admin_locked, created_at, updated_at, profile_complete, roles, metadata_key_ref)
		SELECT (lpad(to_hex(i), 32, '0')::uuid)::text, 1, '+3362' || lpad(i::text, 7, '0'), true, 's' || i || '@example.com', true, '', 'contact_verified',
			'not_started', 'KYC_0', '', '', false, now() - interval '1 day', now() - interval '1 day', false, '{}', ''
		FROM generate_series(1, $1::int) i`, []any{n}},
		{`INSERT INTO credentials (user_id, hash, seq, set_at) SELECT (lpad(to_hex(i), 32, '0')::uuid)::text, $2::text, 1, now() FROM generate_series(1, $1::int) i`,
			[]any{n, hash}},
		{`INSERT INTO refresh_tokens (hash, family_id, user_id, issued_at, family_created_at, expires_at)
		SELECT sha256(((lpad(to_hex(i), 32, '0')::uuid)::text)::bytea), 'fam-' || i, (lpad(to_hex(i), 32, '0')::uuid)::text, now(), now(), now() + interval '30 days'
		FROM generate_series(1, $1::int) i`, []any{n}},
		{`INSERT INTO challenges (id, user_id, purpose, channel, destination, code_hash, created_at, expires_at,
			attempts, max_attempts, sends, consumed_at, locale, proven)
		SELECT 'seed-ch-' || i, (lpad(to_hex(i), 32, '0')::uuid)::text, 'phone_confirmation', 'sms', '+3362' || lpad(i::text, 7, '0'),
			sha256(('c' || i)::bytea), now() - interval '1 day', now() - interval '1 day' + interval '10 minutes',
			0, 5, 1, now() - interval '1 day', '', true
		FROM generate_series(1, $1::int) i`, []any{n}},
		{`INSERT INTO events (id, event_type, user_id, at) SELECT 'seed-ev-' || i || '-' || k,
			CASE k WHEN 1 THEN 'user.registered' ELSE 'phone.confirmed' END, (lpad(to_hex(i), 32, '0')::uuid)::text, now() - interval '1 day'
		FROM generate_series(1, $1::int) i, generate_series(1, 2) k`, []any{n}},
	}
	start := time.Now()
	for _, q := range stmts {
		_, err := st.Pool().Exec(ctx, q.sql, q.args...)
		require.NoError(b, err, q.sql)
	}
	_, err := st.Pool().Exec(ctx, `ANALYZE`)
	require.NoError(b, err)
	b.Logf("seeded %d users in %s", n, time.Since(start).Round(time.Second))
}

// journey runs the steps once, adding each one's time to spent.
func (r *scaleRig) journey(b *testing.B, spent map[string]time.Duration) {
	ctx := context.Background()
	timed := func(step string, f func() error) {
		start := time.Now()
		err := f()
		spent[step] += time.Since(start)
		if err != nil {
			b.Fatalf("%s on %d users: %v", step, r.n, err)
		}
	}
	r.seq++
	phone := fmt.Sprintf("+3375%07d", r.seq)
	var su *onboarding.SignUpResult
	timed("signup", func() (err error) {
		su, err = r.svc.SignUp(ctx, onboarding.SignUpRequest{PhoneNumber: phone, Password: r.pw})
		return err
	})
	var auth *onboarding.AuthResult
	timed("confirm", func() (err error) {
		auth, err = r.svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, r.sent.Last(phone).Code)
		return err
	})
	// A seeded user in the middle of the table, a different one each time.
	i := (r.seq*7919)%r.n + 1
	seeded := fmt.Sprintf("+3362%07d", i)
	var lr *onboarding.LoginResult
	timed("login-phone", func() (err error) {
		lr, err = r.svc.Login(ctx, onboarding.LoginRequest{Username: seeded, Password: r.pw})
		return err
	})
	timed("login-code", func() error {
		_, err := r.svc.VerifyLoginChallenge(ctx, lr.SessionID, r.sent.Last(seeded).Code)
		return err
	})
	timed("login-email", func() error {
		_, err := r.svc.Login(ctx, onboarding.LoginRequest{Username: fmt.Sprintf("s%d@example.com", i), Password: r.pw})
		return err
	})
	timed("refresh", func() error {
		_, err := r.svc.Refresh(ctx, auth.Tokens.RefreshToken)
		return err
	})
}
