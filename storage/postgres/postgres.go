package postgres

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/onboardkit/onboardkit/storage"
)

// Option configures a Store.
type Option func(*config)

type config struct {
	schema     string
	lock       bool
	iso        pgx.TxIsoLevel
	retries    int
	backoff    time.Duration
	random     io.Reader
	poolConfig []func(*pgxpool.Config)
}

// WithSchema keeps every table in the named schema (a plain identifier:
// letters, digits and underscores, not starting with a digit).
//
// With [Open] the pool's connections get search_path set to the schema. With
// [New] the caller configures the pool: set
// cfg.ConnConfig.RuntimeParams["search_path"] to the schema (or add
// search_path=name to the DSN) before creating it. In both cases [Store.Migrate]
// creates the schema when it is missing and checks that the connections
// resolve to it.
func WithSchema(name string) Option { return func(c *config) { c.schema = name } }

// WithoutMigrationLock makes [Store.Migrate] skip the PostgreSQL advisory
// lock it otherwise takes. Use it on databases without advisory locks
// (CockroachDB); Migrate then relies on the primary key of its version table
// to apply each migration once (see the package documentation).
func WithoutMigrationLock() Option { return func(c *config) { c.lock = false } }

// WithIsolation sets the isolation level of the transactions [Store.Tx]
// begins (default pgx.ReadCommitted; see the package documentation).
func WithIsolation(level pgx.TxIsoLevel) Option { return func(c *config) { c.iso = level } }

// WithRetries sets how many times a unit of work that failed with a
// serialization failure (SQLSTATE 40001) or a deadlock (40P01) is retried
// (default 5; 0 disables retries; negative values keep the default).
func WithRetries(n int) Option {
	return func(c *config) {
		if n >= 0 {
			c.retries = n
		}
	}
}

// WithBackoff sets the base delay before a retry (default 5ms). The delay of
// retry n is drawn uniformly from [0, base·2ⁿ), capped at 64·base; zero
// retries at once.
func WithBackoff(base time.Duration) Option {
	return func(c *config) {
		if base >= 0 {
			c.backoff = base
		}
	}
}

// WithRandom sets the source the retry jitter generator is seeded from
// (default crypto/rand.Reader).
func WithRandom(r io.Reader) Option { return func(c *config) { c.random = r } }

// WithPoolConfig lets [Open] adjust the pool configuration parsed from the
// DSN (pool size, tracers, AfterConnect, ...) before the pool is created. It
// has no effect on [New].
func WithPoolConfig(f func(*pgxpool.Config)) Option {
	return func(c *config) {
		if f != nil {
			c.poolConfig = append(c.poolConfig, f)
		}
	}
}

// Store is a storage.Store on PostgreSQL, safe for concurrent use. Create it
// with [Open] or [New] and call [Store.Migrate] before use.
//
// The Store that [Store.Tx] passes to its function is bound to one
// transaction: it must not be used after the function returns, nor from
// several goroutines at once (a pgx transaction is one connection).
type Store struct {
	pool *pgxpool.Pool
	q    querier // the pool, or tx
	tx   *pipe   // non-nil for a Store bound to a transaction
	// behind is set on the write-behind view of a transaction's Store
	// ([Store.Behind]).
	behind bool
	sh     *shared
}

var (
	_ storage.Store       = (*Store)(nil)
	_ storage.WriteBehind = (*Store)(nil)
	_ storage.SendCapper  = (*Store)(nil)
)

// shared is what a Store and its transaction-bound views have in common.
type shared struct {
	cfg     config
	ownPool bool

	mu  sync.Mutex
	rng *mrand.Rand
}

// querier is what *pgxpool.Pool and a transaction's pipe have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

var schemaName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

func newConfig(opts []Option) config {
	c := config{lock: true, iso: pgx.ReadCommitted, retries: 5, backoff: 5 * time.Millisecond}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.random == nil {
		c.random = rand.Reader
	}
	return c
}

func (c *config) check() error {
	if c.schema != "" && !schemaName.MatchString(c.schema) {
		return errors.New("postgres: the schema name must be a plain identifier (letters, digits, underscores)")
	}
	return nil
}

// Open creates a pgxpool from dsn (a PostgreSQL URL or keyword/value string),
// checks that the database answers and returns a Store that owns the pool
// ([Store.Close] closes it). Call [Store.Migrate] before first use. When
// the database cannot be reached the error wraps storage.ErrUnavailable.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg := newConfig(opts)
	if err := cfg.check(); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn's parse errors redact the password.
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	if cfg.schema != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{cfg.schema}.Sanitize()
	}
	for _, f := range cfg.poolConfig {
		f(pc)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: create pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, mapErr("connect", err)
	}
	s := newStore(pool, cfg)
	s.sh.ownPool = true
	return s, nil
}

// New returns a Store on a pool the caller owns ([Store.Close] leaves it
// open). With [WithSchema] the pool must already select the schema (see
// WithSchema).
func New(pool *pgxpool.Pool, opts ...Option) *Store {
	return newStore(pool, newConfig(opts))
}

func newStore(pool *pgxpool.Pool, cfg config) *Store {
	var seed [32]byte
	if _, err := io.ReadFull(cfg.random, seed[:]); err != nil {
		// The jitter only spreads retries; a fixed seed is harmless.
		binary.LittleEndian.PutUint64(seed[:], 0x6f6e626f617264)
	}
	return &Store{pool: pool, q: pool, sh: &shared{cfg: cfg, rng: mrand.New(mrand.NewChaCha8(seed))}}
}

// Pool returns the underlying pool (for health checks and operations).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers: on the Store passed to a Tx
// function, over the transaction's connection; otherwise over a pooled
// one (pgxpool.Pool.Ping). Any failure but the caller's cancellation of
// ctx is returned wrapping storage.ErrUnavailable (a database that
// refuses the pool's credentials is not ready either).
func (s *Store) Ping(ctx context.Context) error {
	var err error
	if s.tx != nil {
		err = s.tx.conn.Ping(ctx)
	} else {
		err = s.pool.Ping(ctx)
	}
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	return unavailableError("ping", err)
}

// poolView returns a Store on s's pool that is bound to no transaction.
func (s *Store) poolView() *Store { return &Store{pool: s.pool, q: s.pool, sh: s.sh} }

// Close closes the pool when the Store owns it (it was made by [Open]).
// Calling Close on the Store passed to a Tx function does nothing.
func (s *Store) Close() {
	if s.tx == nil && s.sh.ownPool {
		s.pool.Close()
	}
}

// Tx runs fn in a database transaction (at the level set by
// [WithIsolation]) and commits when fn returns nil; when fn returns an error
// the transaction rolls back and Tx returns the error. A serialization
// failure or deadlock, from fn or from the commit, rolls back and runs fn
// again, up to the [WithRetries] limit. Calling Tx on the Store passed to fn
// joins the running transaction.
func (s *Store) Tx(ctx context.Context, fn func(ctx context.Context, s storage.Store) error) error {
	if s.tx != nil {
		return fn(ctx, s)
	}
	return s.retry(ctx, func() error { return s.runTx(ctx, fn) })
}

func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context, s storage.Store) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return mapErr("begin", err)
	}
	defer conn.Release()
	p := &pipe{conn: conn, begin: beginSQL(s.sh.cfg.iso)}
	done := false
	defer func() {
		if !done {
			// fn or the commit failed, or fn panicked: the connection
			// must not go back to the pool in a transaction.
			p.rollback(context.WithoutCancel(ctx))
		}
	}()
	bound := &Store{pool: s.pool, q: p, tx: p, sh: s.sh}
	if err := fn(ctx, bound); err != nil {
		return err
	}
	if err := p.commit(ctx); err != nil {
		return err
	}
	done = true
	return nil
}

// retry runs f until it succeeds, fails with an error that a retry cannot
// fix, or the retry budget is spent.
func (s *Store) retry(ctx context.Context, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || attempt >= s.sh.cfg.retries || !retryable(err) {
			return err
		}
		if werr := s.sh.wait(ctx, attempt); werr != nil {
			return err
		}
	}
}

// retryable reports a serialization failure or a deadlock.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// wait sleeps the jittered backoff of retry attempt, or until ctx is done.
func (sh *shared) wait(ctx context.Context, attempt int) error {
	base := sh.cfg.backoff
	if base <= 0 {
		return ctx.Err()
	}
	d := base << min(attempt, 6)
	sh.mu.Lock()
	d = time.Duration(sh.rng.Int64N(int64(d)) + 1)
	sh.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// scanOne runs a query returning one row into dest: on the pool as its
// own implicit transaction, retried like Tx; on the Store of a Tx once, in
// the transaction (a serialization failure then fails the statement and
// Tx retries the whole unit). Errors are the driver's (pgx.ErrNoRows when
// no row comes back); callers map them.
func (s *Store) scanOne(ctx context.Context, sql string, args []any, dest ...any) error {
	if s.tx != nil {
		return s.tx.QueryRow(ctx, sql, args...).Scan(dest...)
	}
	return s.retry(ctx, func() error { return s.pool.QueryRow(ctx, sql, args...).Scan(dest...) })
}

// stmt is one statement of a batch.
type stmt struct {
	sql  string
	args []any
}

// exec runs statements as one atomic unit in one round trip and returns
// their command tags. On the pool they run as an implicit transaction
// (retried like Tx); inside a Tx they run inside a savepoint, so a
// constraint violation leaves the transaction usable and nothing of the
// batch written.
func (s *Store) exec(ctx context.Context, op string, stmts ...stmt) ([]pgconn.CommandTag, error) {
	if s.tx == nil {
		if len(stmts) == 1 {
			var tag pgconn.CommandTag
			err := s.retry(ctx, func() (err error) {
				tag, err = s.pool.Exec(ctx, stmts[0].sql, stmts[0].args...)
				return err
			})
			if err != nil {
				return nil, mapErr(op, err)
			}
			return []pgconn.CommandTag{tag}, nil
		}
		var tags []pgconn.CommandTag
		err := s.retry(ctx, func() (err error) {
			tags, err = sendBatch(ctx, s.pool, stmts)
			return err
		})
		if err != nil {
			return nil, mapErr(op, err)
		}
		return tags, nil
	}
	all := make([]stmt, 0, len(stmts)+2)
	all = append(all, stmt{sql: savepoint})
	all = append(all, stmts...)
	all = append(all, stmt{sql: releaseSavepoint})
	tags, err := sendBatch(ctx, s.tx, all)
	if err != nil {
		return nil, s.savepointFailed(ctx, op, err)
	}
	return tags[1 : len(tags)-1], nil
}

// The savepoint a write inside a Tx runs under (see exec).
const (
	savepoint         = "SAVEPOINT onboardkit_write"
	releaseSavepoint  = "RELEASE SAVEPOINT onboardkit_write"
	rollbackSavepoint = "ROLLBACK TO SAVEPOINT onboardkit_write"
)

// savepointFailed maps the error of a batch run under the savepoint of
// exec, first rolling back to the savepoint after a constraint violation
// so that the transaction stays usable.
func (s *Store) savepointFailed(ctx context.Context, op string, err error) error {
	var de *deferredError
	if errors.As(err, &de) {
		return err // a write-behind write failed before the savepoint began
	}
	if constraintViolation(err) || errors.Is(mapErr(op, err), storage.ErrSendLimit) {
		if _, rerr := s.tx.Exec(ctx, rollbackSavepoint); rerr != nil {
			return mapErr(op, errors.Join(err, rerr))
		}
	}
	return mapErr(op, err)
}

// Behind returns the write-behind view of the Store a Tx passed to its
// function (see storage.WriteBehind): CreateUser, UpdateUser, SetPassword,
// CreateChallenge, ConsumeChallenge, CapSend, CreateRefreshToken,
// RevokeUserSessions(Except), CreateKYCSubmission, CreateAccount,
// CreatePortfolio, AppendEvent, ResetLoginAttempts and the writes that
// report a missing row (SetTradingPortfolio, UpdateKYCSubmissionStatus,
// DeleteUser, DeleteDataKey, DeletePasskey: SQLSTATE OB404 when they run,
// storage.ErrNotFound) made through it wait in the transaction's pipe and
// go with its next statement or its COMMIT. The conditional ones check
// themselves (onboardkit_expect_one, migration 0011): a stale UpdateUser
// raises a serialization failure, which makes Tx run the unit again, and
// a ConsumeChallenge with nothing to consume fails the unit with
// storage.ErrConflict. Outside a Tx it returns s.
func (s *Store) Behind() storage.Store {
	if s.tx == nil || s.behind {
		return s
	}
	v := *s
	v.behind = true
	return &v
}

// deferring reports whether s is the write-behind view of a transaction.
func (s *Store) deferring() bool { return s.tx != nil && s.behind }

// later runs the statements of a write as exec does, or, on the
// write-behind view of a transaction, queues them in its pipe (without a
// savepoint: a failure dooms the unit).
func (s *Store) later(ctx context.Context, op string, stmts ...stmt) error {
	if !s.deferring() {
		_, err := s.exec(ctx, op, stmts...)
		return err
	}
	for _, st := range stmts {
		if err := s.tx.defer_(queued{op: op, sql: st.sql, args: st.args}); err != nil {
			return err
		}
	}
	return nil
}

// scanWrite runs one write that returns a row (INSERT ... RETURNING) into
// dest, atomically as exec does: on the pool as scanOne does (one
// implicit transaction, retried); inside a Tx under exec's savepoint, in
// one round trip, so that a constraint violation leaves the transaction
// usable.
func (s *Store) scanWrite(ctx context.Context, op string, st stmt, dest ...any) error {
	if s.tx == nil {
		return mapErr(op, s.scanOne(ctx, st.sql, st.args, dest...))
	}
	b := &pgx.Batch{}
	b.Queue(savepoint)
	b.Queue(st.sql, st.args...).QueryRow(func(r pgx.Row) error { return r.Scan(dest...) })
	b.Queue(releaseSavepoint)
	if err := s.tx.SendBatch(ctx, b).Close(); err != nil {
		return s.savepointFailed(ctx, op, err)
	}
	return nil
}

func sendBatch(ctx context.Context, q querier, stmts []stmt) ([]pgconn.CommandTag, error) {
	b := &pgx.Batch{}
	for _, st := range stmts {
		b.Queue(st.sql, st.args...)
	}
	br := q.SendBatch(ctx, b)
	tags := make([]pgconn.CommandTag, len(stmts))
	var err error
	for i := range stmts {
		if tags[i], err = br.Exec(); err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return tags, nil
}

func constraintViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && len(pe.Code) == 5 && pe.Code[:2] == "23"
}

// duplicateFields maps unique constraints to the field a DuplicateError names.
var duplicateFields = map[string]string{
	"users_pkey":                  "id",
	"users_phone_verified_key":    "phone",
	"users_email_verified_key":    "email",
	"challenges_pkey":             "id",
	"refresh_tokens_pkey":         "token",
	"kyc_submissions_pkey":        "id",
	"kyc_documents_pkey":          "id",
	"accounts_pkey":               "id",
	"portfolios_pkey":             "id",
	"portfolios_account_name_key": "name",
	"portfolios_address_key":      "address_index",
	"events_id_key":               "id",
	"data_keys_pkey":              "user_id",
	"provider_events_pkey":        "event_id",
	"passkeys_pkey":               "id",
	"passkeys_credential_key":     "credential_id",
}

// mapErr turns database errors into the storage contract's: a unique
// violation becomes a *storage.DuplicateError, a foreign-key violation (a
// record naming a missing user, account or submission) wraps
// storage.ErrNotFound, an error saying that the database cannot be reached
// (see unavailable) wraps storage.ErrUnavailable. Other errors are wrapped
// with the operation name; errors already mapped pass through. Every
// driver error of the package goes through it.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *storage.DuplicateError
	if errors.As(err, &de) || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) ||
		errors.Is(err, storage.ErrUnavailable) || errors.Is(err, storage.ErrSendLimit) {
		return err
	}
	if unavailable(err) {
		return unavailableError(op, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			field, ok := duplicateFields[pe.ConstraintName]
			if !ok {
				field = pe.ConstraintName
			}
			return &storage.DuplicateError{Field: field}
		case "23503":
			return &opError{op: op, msg: "a referenced record does not exist", err: storage.ErrNotFound, cause: err}
		case "OB429":
			// A CapSend over its limit (onboardkit_expect_one).
			return &opError{op: op, msg: pe.Message, err: storage.ErrSendLimit, cause: err}
		case "OB404":
			// A deferred write found no row (execFound).
			return &opError{op: op, msg: pe.Message, err: storage.ErrNotFound, cause: err}
		case "OB409":
			// onboardkit_expect_one of a deferred write (migration 0011).
			return &opError{op: op, msg: pe.Message, err: storage.ErrConflict, cause: err}
		case "40001":
			if strings.HasPrefix(pe.Message, "onboardkit: ") {
				// A deferred write found a row changed since it was read:
				// a conflict, and a serialization failure Tx retries.
				return &opError{op: op, msg: pe.Message, err: storage.ErrConflict, cause: err}
			}
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// unavailable reports an error saying that the database cannot be reached
// or stopped answering, so that the same call may succeed later:
//
//   - a server error of class 08 (connection exception), 53300 (too many
//     connections), 57P01, 57P02 or 57P03 (the server is shutting down,
//     crashed, or is starting); other server errors (a wrong password, a
//     missing database, a statement timeout) are not;
//   - a connection that could not be made (pgconn.ConnectError not caused
//     by a server error) or was lost: network errors, an unexpected end of
//     the stream (io.EOF, io.ErrUnexpectedEOF), pgconn.ErrConnClosed;
//   - a timeout: pgconn.Timeout, or context.DeadlineExceeded, which is also
//     what the pool returns when no connection became free before the
//     context's deadline;
//   - a closed pool (puddle.ErrClosedPool: the host is shutting down).
//
// The caller's cancellation of its context (context.Canceled) never is.
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "53300", "57P01", "57P02", "57P03":
			return true
		}
		return strings.HasPrefix(pe.Code, "08")
	}
	var (
		ce *pgconn.ConnectError
		ne net.Error
	)
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, puddle.ErrClosedPool)
}

// unavailableError wraps storage.ErrUnavailable; the message names the
// cause, for the logs of an outage.
func unavailableError(op string, err error) error {
	return &opError{op: op, msg: "database unavailable: " + err.Error(), err: storage.ErrUnavailable, cause: err}
}

// opError wraps a storage sentinel and keeps the database error as a cause.
type opError struct {
	op, msg string
	err     error // the sentinel
	cause   error // the database error, or nil
}

func (e *opError) Error() string { return "postgres: " + e.op + ": " + e.msg }
func (e *opError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.err}
	}
	return []error{e.err, e.cause}
}

func notFound(op string) error {
	return &opError{op: op, msg: "not found", err: storage.ErrNotFound}
}

func conflict(op, msg string) error {
	return &opError{op: op, msg: msg, err: storage.ErrConflict}
}

// execFound runs one write through exec and returns an error wrapping
// storage.ErrNotFound when it wrote no row.
func (s *Store) execFound(ctx context.Context, op, sql string, args ...any) error {
	if s.deferring() {
		// The write checks itself when it runs (migration 0011): no row is
		// SQLSTATE OB404, storage.ErrNotFound, and fails the unit.
		return s.later(ctx, op, stmt{`WITH w AS (` + sql + ` RETURNING 1)
			SELECT onboardkit_expect_one(count(*), 'OB404', '` + op + `: not found') FROM w`, args})
	}
	tags, err := s.exec(ctx, op, stmt{sql, args})
	if err != nil {
		return err
	}
	if tags[0].RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// queryLimit runs the query q (which ends with its ORDER BY) with args and,
// when limit > 0, a LIMIT of limit rows.
func (s *Store) queryLimit(ctx context.Context, q string, limit int, args ...any) (pgx.Rows, error) {
	if limit > 0 {
		return s.q.Query(ctx, q+` LIMIT $`+strconv.Itoa(len(args)+1), append(args, int64(limit))...)
	}
	return s.q.Query(ctx, q, args...)
}

// queryAll runs the query q (which ends with its ORDER BY) with args and,
// when limit > 0, a LIMIT of limit rows, and returns every row as scan
// reads it; no row is an empty slice. Errors are mapped for op.
func queryAll[T any](ctx context.Context, s *Store, op, q string, limit int, scan func(pgx.Row) (T, error), args ...any) ([]T, error) {
	rows, err := s.queryLimit(ctx, q, limit, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	if err != nil {
		return nil, mapErr(op, err)
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// placeholders returns the parameter list "$1, $2, ..., $n".
func placeholders(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i))
	}
	return b.String()
}

// exists reports whether the query (SELECT EXISTS (...)) holds.
func (s *Store) exists(ctx context.Context, op, sql string, args ...any) (bool, error) {
	var ok bool
	if err := s.q.QueryRow(ctx, sql, args...).Scan(&ok); err != nil {
		return false, mapErr(op, err)
	}
	return ok, nil
}

// missingOrConflict tells the two failures of a conditional write apart:
// ErrNotFound when existsSQL finds no record, ErrConflict otherwise.
func (s *Store) missingOrConflict(ctx context.Context, op, msg, existsSQL string, args ...any) error {
	ok, err := s.exists(ctx, op, existsSQL, args...)
	if err != nil {
		return err
	}
	if !ok {
		return notFound(op)
	}
	return conflict(op, msg)
}
