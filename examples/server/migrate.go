// This file owns the server's PostgreSQL set-up: opening the store in its
// schema, and the migrate subcommand that migrates it and exits.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/onboardkit/onboardkit/storage/postgres"
)

// openPostgres opens the PostgreSQL store of dsn, in schema when given.
func openPostgres(ctx context.Context, dsn, schema string) (*postgres.Store, error) {
	var opts []postgres.Option
	if schema != "" {
		opts = append(opts, postgres.WithSchema(schema))
	}
	pg, err := postgres.Open(ctx, dsn, opts...)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return pg, nil
}

// schemaText names the schema in messages ("" for the default).
func schemaText(schema string) string {
	if schema == "" {
		return ""
	}
	return ", schema " + schema
}

// migrate applies the migrations the PostgreSQL schema lacks and exits:
// a deploy step run before the servers start (which then may run with
// -migrate=false, under a role that cannot change the schema).
func migrate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	dsn := fs.String("postgres", "", "PostgreSQL DSN (required; or $"+envName("postgres")+")")
	schema := fs.String("schema", "", "the schema of the tables, created when missing (default: the first of the connection's search_path)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	if _, err := parseWithEnv(fs, args, nil); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate: unexpected arguments %q", fs.Args())
	}
	if *dsn == "" {
		return errors.New("migrate: -postgres (or $" + envName("postgres") + ") is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	pg, err := openPostgres(ctx, *dsn, *schema)
	if err != nil {
		return err
	}
	defer pg.Close()
	if err := pg.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "migrated to schema version %d%s\n", postgres.SchemaVersion(), schemaText(*schema))
	return err
}
