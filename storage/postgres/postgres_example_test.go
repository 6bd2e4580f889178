package postgres_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/postgres"
)

// Open a store in its own schema, migrate it (safe when every replica does
// it at start-up) and run a unit of work. It needs a database, so it has no
// Output line and only compiles under go test.
func Example() {
	ctx := context.Background()
	st, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), postgres.WithSchema("onboardkit"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	u := &storage.User{ID: "u-1", Phone: "+33612345678", Status: "registered", KYCStatus: "not_started"}
	err = st.Tx(ctx, func(ctx context.Context, s storage.Store) error {
		if err := s.CreateUser(ctx, u); err != nil {
			return err // a *storage.DuplicateError when the phone is taken
		}
		return s.SetPassword(ctx, u.ID, "$argon2id$...", u.CreatedAt, 5)
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("user version", u.Version)
}

// New wraps a pool the application already has. The pool must select the
// schema itself (search_path), which Migrate checks.
func ExampleNew() {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = "onboardkit"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	st := postgres.New(pool, postgres.WithSchema("onboardkit"))
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
}

// On CockroachDB, which has no advisory locks, skip the migration lock.
func ExampleWithoutMigrationLock() {
	ctx := context.Background()
	st, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"),
		postgres.WithSchema("onboardkit"), postgres.WithoutMigrationLock())
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
}
