package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp/otptest"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage/postgres"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// roundTrips is a pgx tracer that counts the round trips to the server
// (a query, a batch or a prepare each) and the statements they carry.
type roundTrips struct {
	mu    sync.Mutex
	trips int
	stmts []string
}

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trips++
	r.stmts = append(r.stmts, oneLine(d.SQL))
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trips++
	r.stmts = append(r.stmts, "-- batch")
	return ctx
}
func (r *roundTrips) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stmts = append(r.stmts, "   "+oneLine(d.SQL))
}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}
func (r *roundTrips) TracePrepareStart(ctx context.Context, _ *pgx.Conn, d pgx.TracePrepareStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trips++
	r.stmts = append(r.stmts, "-- prepare "+oneLine(d.SQL))
	return ctx
}
func (r *roundTrips) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

func (r *roundTrips) reset() (int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, s := r.trips, r.stmts
	r.trips, r.stmts = 0, nil
	return n, s
}

func oneLine(sql string) string {
	s := strings.Join(strings.Fields(sql), " ")
	if len(s) > 110 {
		s = s[:110] + "…"
	}
	return s
}

// TestRoundTrips pins the round trips (a query, a batch or a prepare each)
// and the statements of the main steps of the journey on PostgreSQL, with
// a warm statement cache (the third run of each step on one connection).
// A change that adds one fails here: update the figures only with a reason.
// The write-behind view (storage.Behind) and the pipe of Store.Tx (BEGIN
// with the first statement, COMMIT with the last writes) carry most of it.
func TestRoundTrips(t *testing.T) {
	want := map[string]struct{ trips, stmts int }{
		// the holders lookup; BEGIN, user, password (one CTE), send count;
		// challenge, event, COMMIT
		"SignUp": {3, 8},
		// the challenge; BEGIN, consume (checked), the user; its update
		// (checked), refresh token, event, COMMIT
		"ConfirmPhone": {3, 8},
		// the user with its password and authenticator (GetLogin); the
		// throttle; BEGIN, throttle reset, send count (CapSend, checked),
		// challenge, COMMIT
		"Login": {3, 7},
		// as ConfirmPhone (the challenge read once for a code or a factor)
		"VerifyLoginChallenge": {3, 8},
		// the token; rotation and the next token in one statement; the user
		"Refresh": {3, 3},
	}
	rt := &roundTrips{}
	st := postgrestest.New(t, postgres.WithPoolConfig(func(c *pgxpool.Config) {
		c.MaxConns = 1 // one connection, whose statement cache the first runs warm
		c.ConnConfig.Tracer = rt
	}))
	hasher, err := password.NewHasher(password.HasherConfig{Params: password.TestParams()}, onboardkit.Runtime{})
	require.NoError(t, err)
	key, err := onboarding.NewSigningKey("k", nil)
	require.NoError(t, err)
	ring, err := seal.NewEphemeralKeyring("rt")
	require.NoError(t, err)
	sent := otptest.NewRecorder()
	svc, err := onboarding.New(onboarding.Config{Store: st, SMS: sent, Email: sent, Secret: []byte("a round-trip secret of 32+ bytes"),
		Keyring: ring, Hasher: hasher, Tokens: onboarding.TokenConfig{SigningKey: key}})
	require.NoError(t, err)
	ctx := context.Background()
	got := map[string][]string{}
	measure := func(i int, step string) {
		n, stmts := rt.reset()
		if i == 2 {
			got[step] = stmts
			if w := want[step]; n != w.trips || countStatements(stmts) != w.stmts {
				t.Errorf("%s: %d round trips and %d statements, want %d and %d:\n  %s",
					step, n, countStatements(stmts), w.trips, w.stmts, strings.Join(stmts, "\n  "))
			}
		}
	}
	for i := range 3 {
		phone := fmt.Sprintf("+3361234560%d", i)
		rt.reset()
		su, err := svc.SignUp(ctx, onboarding.SignUpRequest{PhoneNumber: phone, Password: "correct-horse-7-battery"})
		require.NoError(t, err)
		measure(i, "SignUp")
		auth, err := svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, sent.Last(phone).Code)
		require.NoError(t, err)
		measure(i, "ConfirmPhone")
		lr, err := svc.Login(ctx, onboarding.LoginRequest{Username: phone, Password: "correct-horse-7-battery"})
		require.NoError(t, err)
		measure(i, "Login")
		_, err = svc.VerifyLoginChallenge(ctx, lr.SessionID, sent.Last(phone).Code)
		require.NoError(t, err)
		measure(i, "VerifyLoginChallenge")
		_, err = svc.Refresh(ctx, auth.Tokens.RefreshToken)
		require.NoError(t, err)
		measure(i, "Refresh")
	}
	if testing.Verbose() {
		for step, stmts := range got {
			t.Logf("%s:\n  %s", step, strings.Join(stmts, "\n  "))
		}
	}
}

// countStatements counts the statements of a trace (batch markers aside).
func countStatements(stmts []string) int {
	n := 0
	for _, s := range stmts {
		if s != "-- batch" {
			n++
		}
	}
	return n
}
