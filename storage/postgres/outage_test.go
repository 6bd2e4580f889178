package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/ratelimit"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/postgres"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// outageCtx bounds each call of the outage tests, so that a call that
// hangs instead of failing fails the test.
func outageCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestOutageThroughProxy: while the database cannot be reached, Ping and
// every kind of call fail with errors wrapping storage.ErrUnavailable;
// once it can again, the same Store works without a restart.
func TestOutageThroughProxy(t *testing.T) {
	t.Parallel()
	st, px := postgrestest.NewBehindProxy(t)
	ctx := outageCtx(t)
	u := mustCreateUser(t, st)
	require.NoError(t, st.Ping(ctx))

	px.Down()
	for range 2 { // pooled connections are lost, then new ones refused
		require.ErrorIs(t, st.Ping(ctx), storage.ErrUnavailable, "Ping")
		_, err := st.GetUser(ctx, u.ID)
		require.ErrorIs(t, err, storage.ErrUnavailable, "GetUser")
	}
	require.ErrorIs(t, st.CreateUser(ctx, newUser()), storage.ErrUnavailable, "CreateUser")
	err := st.Tx(ctx, func(ctx context.Context, s storage.Store) error { return s.CreateUser(ctx, newUser()) })
	require.ErrorIs(t, err, storage.ErrUnavailable, "Tx")
	_, err = st.Limiter().Allow(ctx, "k", ratelimit.Limit{Rate: 1, Period: time.Second}, 1)
	require.ErrorIs(t, err, storage.ErrUnavailable, "Limiter.Allow")
	_, err = st.ReplayCache().Use(ctx, [32]byte{1}, t0)
	require.ErrorIs(t, err, storage.ErrUnavailable, "ReplayCache.Use")
	assert.Contains(t, err.Error(), "unavailable", "the message names the outage")

	px.Up()
	require.NoError(t, st.Ping(ctx), "Ping after the outage")
	got, err := st.GetUser(ctx, u.ID)
	require.NoError(t, err, "GetUser after the outage")
	assert.Equal(t, u.ID, got.ID)
	mustCreateUser(t, st)
}

// TestOutageInsideTx: a connection lost in the middle of a unit of work
// fails it with storage.ErrUnavailable; nothing of it is committed.
func TestOutageInsideTx(t *testing.T) {
	t.Parallel()
	st, px := postgrestest.NewBehindProxy(t)
	ctx := outageCtx(t)
	u := newUser()
	err := st.Tx(ctx, func(ctx context.Context, s storage.Store) error {
		if err := s.CreateUser(ctx, u); err != nil {
			return err
		}
		px.Down()
		_, err := s.GetUser(ctx, u.ID)
		return err
	})
	require.ErrorIs(t, err, storage.ErrUnavailable)
	px.Up()
	_, err = st.GetUser(ctx, u.ID)
	require.ErrorIs(t, err, storage.ErrNotFound, "the user of the lost unit of work")
}

// TestOpenUnavailable: Open fails with storage.ErrUnavailable when the
// database cannot be reached, but not when it answers with an error of
// its own (a database that does not exist).
func TestOpenUnavailable(t *testing.T) {
	t.Parallel()
	dsn := postgrestest.DSN(t)
	px := postgrestest.NewProxy(t, dsn)
	px.Down()
	ctx := outageCtx(t)
	_, err := postgres.Open(ctx, dsn, px.Option())
	require.ErrorIs(t, err, storage.ErrUnavailable)

	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Path = "/onboardkit_no_such_database"
	_, err = postgres.Open(ctx, u.String())
	require.Error(t, err)
	assert.NotErrorIs(t, err, storage.ErrUnavailable, "a missing database is not an outage")
}

// TestPoolExhaustedIsUnavailable: a call that finds no free connection
// before its context's deadline fails with storage.ErrUnavailable; a call
// whose context the caller cancels does not.
func TestPoolExhaustedIsUnavailable(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t, postgres.WithPoolConfig(func(c *pgxpool.Config) { c.MaxConns = 1 }))
	ctx := outageCtx(t)
	u := mustCreateUser(t, st)
	release, done := holdTx(t, st, func(context.Context, storage.Store) error { return nil }, nil)

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := st.GetUser(short, u.ID)
	require.ErrorIs(t, err, storage.ErrUnavailable, "GetUser without a free connection")
	require.ErrorIs(t, st.Ping(short), storage.ErrUnavailable, "Ping without a free connection")

	canceled, cancel2 := context.WithCancel(ctx)
	go func() { time.Sleep(50 * time.Millisecond); cancel2() }()
	_, err = st.GetUser(canceled, u.ID)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, storage.ErrUnavailable, "the caller's cancellation")
	assert.NotErrorIs(t, st.Ping(canceled), storage.ErrUnavailable, "Ping with a cancelled context")

	release()
	require.NoError(t, <-done)
	_, err = st.GetUser(ctx, u.ID)
	require.NoError(t, err, "GetUser once the connection is free")
}

// TestClosedPoolIsUnavailable: a pool the host closed (shutting down)
// makes every call fail with storage.ErrUnavailable.
func TestClosedPoolIsUnavailable(t *testing.T) {
	t.Parallel()
	dsn, schema := postgrestest.Schema(t)
	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	ctx := outageCtx(t)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	st := postgres.New(pool, postgres.WithSchema(schema))
	require.NoError(t, st.Migrate(ctx))
	u := mustCreateUser(t, st)
	pool.Close()
	require.ErrorIs(t, st.Ping(ctx), storage.ErrUnavailable, "Ping")
	_, err = st.GetUser(ctx, u.ID)
	require.ErrorIs(t, err, storage.ErrUnavailable, "GetUser")
	err = st.Tx(ctx, func(context.Context, storage.Store) error { return errors.New("not reached") })
	require.ErrorIs(t, err, storage.ErrUnavailable, "Tx")
}
