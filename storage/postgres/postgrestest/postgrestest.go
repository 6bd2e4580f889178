// Package postgrestest gives tests a fresh, migrated PostgreSQL store.
//
// The database address comes from the environment variable
// ONBOARDKIT_TEST_POSTGRES, for example
//
//	ONBOARDKIT_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test ./...
//
// When the variable is unset the helpers skip the test with that hint; when
// it is set and the database cannot be reached they fail it, never skip.
// Every store lives in a schema of its own with a random name (okt_<hex>),
// dropped (CASCADE) when the test ends, so tests can run in parallel against
// one database.
package postgrestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onboardkit/onboardkit/storage/postgres"
)

// EnvVar names the environment variable holding the test database DSN.
const EnvVar = "ONBOARDKIT_TEST_POSTGRES"

// timeout bounds each set-up and clean-up step.
const timeout = 30 * time.Second

// DSN returns the test database DSN, or skips the test when EnvVar is unset.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvVar)
	if dsn == "" {
		t.Skipf("PostgreSQL tests are off: set %s to enable them, e.g. "+
			"%s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable go test ./storage/postgres", EnvVar, EnvVar)
	}
	return dsn
}

// Schema creates an empty schema with a random name (okt_<hex>) and returns
// the DSN and the schema name. The schema is dropped with everything in it
// when the test ends (clean-ups registered later, such as closing a store,
// run before).
func Schema(t testing.TB) (dsn, schema string) {
	t.Helper()
	dsn = DSN(t)
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("postgrestest: random schema name: %v", err)
	}
	schema = "okt_" + hex.EncodeToString(b[:])
	exec(t, dsn, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	t.Cleanup(func() { exec(t, dsn, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE") })
	return dsn, schema
}

// exec runs one statement on a short-lived connection, failing the test when
// the database is unreachable or the statement fails.
func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("postgrestest: %s is set but the database is unreachable: %v", EnvVar, err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("postgrestest: %s: %v", sql, err)
	}
}

// Open opens a store on the schema (without migrating it), with a small
// pool, and closes it when the test ends.
func Open(t testing.TB, dsn, schema string, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	all := append([]postgres.Option{
		postgres.WithSchema(schema),
		postgres.WithPoolConfig(func(c *pgxpool.Config) { c.MaxConns = 4 }),
	}, opts...)
	st, err := postgres.Open(ctx, dsn, all...)
	if err != nil {
		t.Fatalf("postgrestest: %s is set but the database is unreachable: %v", EnvVar, err)
	}
	t.Cleanup(st.Close)
	return st
}

// New returns a migrated store in a fresh schema. It skips the test when
// EnvVar is unset and fails it when the database is unreachable. The schema
// is dropped and the pool closed when the test ends. opts are passed to
// postgres.Open after the schema and pool-size options.
func New(t testing.TB, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	dsn, schema := Schema(t)
	st := Open(t, dsn, schema, opts...)
	migrate(t, st)
	return st
}

// NewPair returns two stores with separate pools on one fresh, migrated
// schema: two replicas of a service sharing a database.
func NewPair(t testing.TB, opts ...postgres.Option) (a, b *postgres.Store) {
	t.Helper()
	dsn, schema := Schema(t)
	a = Open(t, dsn, schema, opts...)
	b = Open(t, dsn, schema, opts...)
	migrate(t, a)
	migrate(t, b)
	return a, b
}

func migrate(t testing.TB, st *postgres.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("postgrestest: migrate: %v", err)
	}
}
