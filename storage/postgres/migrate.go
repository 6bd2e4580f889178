package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable records the applied migrations.
const versionTable = "onboardkit_schema_migrations"

type migration struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// loadMigrations returns the embedded migrations in version order.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		m := migrationName.FindStringSubmatch(path.Base(n))
		if m == nil {
			return nil, fmt.Errorf("postgres: bad migration file name %q", n)
		}
		v, _ := strconv.Atoi(m[1])
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: m[2], sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("postgres: two migrations with version %d", ms[i].version)
		}
	}
	return ms, nil
}

// SchemaVersion returns the version of the newest embedded migration: the
// schema version [Store.Migrate] brings the database to.
func SchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// Migrate applies the embedded migrations (migrations/NNNN_name.sql) that the
// version table onboardkit_schema_migrations does not list yet, in order,
// each in its own transaction together with its version row. It is
// idempotent and safe when several replicas start at once: it holds a
// session advisory lock (keyed by the schema) on one dedicated connection
// while it works, and the version row is inserted first with ON CONFLICT DO
// NOTHING, so a migration is applied once even without the lock
// ([WithoutMigrationLock]). With [WithSchema] it creates the schema when
// missing and fails when the pool's connections do not resolve to it.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return s.applyAll(ctx, ms)
}

// applyAll is Migrate with the migrations ms.
func (s *Store) applyAll(ctx context.Context, ms []migration) error {
	if s.tx != nil {
		return errors.New("postgres: Migrate cannot run inside Tx")
	}
	if err := s.sh.cfg.check(); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: acquire connection: %w", err)
	}
	defer conn.Release() // runs last; a no-op after Hijack
	if s.sh.cfg.lock {
		key := lockKey(s.sh.cfg.schema)
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
			return fmt.Errorf("postgres: migrate: take advisory lock (use WithoutMigrationLock on databases without advisory locks): %w", err)
		}
		defer func() {
			bg := context.WithoutCancel(ctx)
			if _, err := conn.Exec(bg, `SELECT pg_advisory_unlock($1)`, key); err != nil {
				// The lock belongs to the session: end the session so it
				// cannot stay held by a pooled connection.
				_ = conn.Hijack().Close(bg)
			}
		}()
	}
	return s.migrate(ctx, conn, ms)
}

// lockKey is the advisory lock key of the migrations of a schema.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("onboardkit/migrate/" + schema))
	return int64(h.Sum64())
}

func (s *Store) migrate(ctx context.Context, conn *pgxpool.Conn, ms []migration) error {
	if schema := s.sh.cfg.schema; schema != "" {
		if err := ensureSchema(ctx, conn, schema); err != nil {
			return err
		}
	}
	create := `CREATE TABLE IF NOT EXISTS ` + versionTable + ` (
		version    integer     NOT NULL PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`
	if _, err := conn.Exec(ctx, create); err != nil {
		// Two unlocked migrators can race on IF NOT EXISTS: the loser
		// fails on the catalog's unique index. The table exists then.
		if !raceOnCreate(err) {
			return fmt.Errorf("postgres: migrate: create version table: %w", err)
		}
		if _, err := conn.Exec(ctx, create); err != nil {
			return fmt.Errorf("postgres: migrate: create version table: %w", err)
		}
	}
	rows, err := conn.Query(ctx, `SELECT version FROM `+versionTable)
	if err != nil {
		return fmt.Errorf("postgres: migrate: read versions: %w", err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("postgres: migrate: read versions: %w", err)
	}
	for _, m := range ms {
		if slices.Contains(applied, m.version) {
			continue
		}
		if err := apply(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

// ensureSchema creates the schema when missing and checks that the
// connection's search_path resolves to it.
func ensureSchema(ctx context.Context, conn *pgxpool.Conn, schema string) error {
	var found bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)`,
		schema).Scan(&found); err != nil {
		return fmt.Errorf("postgres: migrate: look up schema: %w", err)
	}
	if !found {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil && !raceOnCreate(err) {
			return fmt.Errorf("postgres: migrate: create schema: %w", err)
		}
	}
	var current *string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
		return fmt.Errorf("postgres: migrate: read current schema: %w", err)
	}
	if current == nil || *current != schema {
		return fmt.Errorf("postgres: migrate: the connections do not select schema %q: set search_path in the pool configuration (see WithSchema)", schema)
	}
	return nil
}

// raceOnCreate reports the errors a concurrent CREATE ... IF NOT EXISTS
// can raise: a unique violation in the catalog, or "already exists".
func raceOnCreate(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P07" || pe.Code == "42P06")
}

// apply runs one migration in a transaction that first claims its version
// row; when another migrator holds or has committed the row, it skips.
func apply(ctx context.Context, conn *pgxpool.Conn, m migration) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate %04d: begin: %w", m.version, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	tag, err := tx.Exec(ctx, `INSERT INTO `+versionTable+` (version, name) VALUES ($1, $2)
		ON CONFLICT (version) DO NOTHING`, m.version, m.name)
	if err != nil {
		return fmt.Errorf("postgres: migrate %04d: record version: %w", m.version, err)
	}
	if tag.RowsAffected() == 0 {
		return nil // applied by another migrator meanwhile
	}
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return fmt.Errorf("postgres: migrate %04d_%s: %w", m.version, m.name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate %04d: commit: %w", m.version, err)
	}
	return nil
}
