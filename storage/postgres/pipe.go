package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A pipe is the connection of one Store.Tx: a transaction that costs no
// round trip of its own. BEGIN is not sent when the unit starts but with
// its first statement, in the same batch; the writes made through the
// write-behind view ([Store.Behind]) wait in the pipe and go with the
// next statement of the unit, or with COMMIT. A unit that reads a row,
// writes two and commits is thus two round trips instead of five.
//
// Every statement the pipe sends is preceded, in one pgx.Batch (one round
// trip), by what waits: BEGIN and the pending writes, in their order. The
// results of that prefix are read first: a failed BEGIN or write fails
// the statement that carried it (with the write's own error, mapped as
// its method would have) and dooms the unit: the server skipped the rest
// of the batch, and every later call, and the commit, return that error.
type pipe struct {
	conn    *pgxpool.Conn
	begin   string   // BEGIN …, until sent
	pending []queued // write-behind writes, in order
	failed  error    // a write of the prefix failed: the unit is doomed
}

// queued is one write waiting in the pipe.
type queued struct {
	op   string
	sql  string
	args []any
	// scan reads the row of a write with RETURNING (nil: none).
	scan func(pgx.Row) error
}

// deferredError is the error of a write-behind write, returned by the
// statement or commit that carried it. Store methods pass it on as it is:
// it was mapped for the write's own operation.
type deferredError struct{ err error }

func (e *deferredError) Error() string { return e.err.Error() }
func (e *deferredError) Unwrap() error { return e.err }

// beginSQL is the BEGIN of a transaction at the isolation level (the
// server's default when empty).
func beginSQL(iso pgx.TxIsoLevel) string {
	if iso == "" {
		return "BEGIN"
	}
	return "BEGIN ISOLATION LEVEL " + string(iso)
}

// hasPrefix reports whether a statement must carry something.
func (p *pipe) hasPrefix() bool { return p.begin != "" || len(p.pending) > 0 }

// batch returns a batch of the prefix followed by the queries of b (nil:
// none).
func (p *pipe) batch(b *pgx.Batch) *pgx.Batch {
	out := &pgx.Batch{}
	if p.begin != "" {
		out.Queue(p.begin)
	}
	for _, q := range p.pending {
		out.Queue(q.sql, q.args...)
	}
	if b != nil {
		out.QueuedQueries = append(out.QueuedQueries, b.QueuedQueries...)
	}
	return out
}

// readPrefix reads the results of the prefix from br and empties it. Its
// first failure dooms the unit and is returned.
func (p *pipe) readPrefix(br pgx.BatchResults) error {
	begin, pending := p.begin, p.pending
	p.begin, p.pending = "", nil
	if begin != "" {
		if _, err := br.Exec(); err != nil {
			p.failed = &deferredError{mapErr("begin", err)}
			return p.failed
		}
	}
	for _, q := range pending {
		var err error
		if q.scan != nil {
			err = q.scan(br.QueryRow())
		} else {
			_, err = br.Exec()
		}
		if err != nil {
			p.failed = &deferredError{mapErr(q.op, err)}
			return p.failed
		}
	}
	return nil
}

// send sends the prefix and b in one batch and reads the prefix; on
// success the caller reads b's results from br and closes it.
func (p *pipe) send(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	br := p.conn.SendBatch(ctx, p.batch(b))
	if err := p.readPrefix(br); err != nil {
		_ = br.Close()
		return nil, err
	}
	return br, nil
}

// Exec runs one statement, after the prefix.
func (p *pipe) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if p.failed != nil {
		return pgconn.CommandTag{}, p.failed
	}
	if !p.hasPrefix() {
		return p.conn.Exec(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br, err := p.send(ctx, b)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query runs a query, after the prefix; closing the rows closes the batch.
func (p *pipe) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if p.failed != nil {
		return nil, p.failed
	}
	if !p.hasPrefix() {
		return p.conn.Query(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br, err := p.send(ctx, b)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// batchRows are the rows of the last query of a batch.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if !r.closed {
		r.closed = true
		_ = r.br.Close()
	}
}

// QueryRow runs a query of one row, after the prefix, when the row is
// scanned.
func (p *pipe) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if p.failed == nil && !p.hasPrefix() {
		return p.conn.QueryRow(ctx, sql, args...)
	}
	return &pipeRow{p: p, ctx: ctx, sql: sql, args: args}
}

type pipeRow struct {
	p    *pipe
	ctx  context.Context
	sql  string
	args []any
}

func (r *pipeRow) Scan(dest ...any) error {
	if r.p.failed != nil {
		return r.p.failed
	}
	b := &pgx.Batch{}
	b.Queue(r.sql, r.args...)
	br, err := r.p.send(r.ctx, b)
	if err != nil {
		return err
	}
	err = br.QueryRow().Scan(dest...)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// SendBatch sends b after the prefix.
func (p *pipe) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if p.failed != nil {
		return failedBatch{p.failed}
	}
	if !p.hasPrefix() {
		return p.conn.SendBatch(ctx, b)
	}
	br, err := p.send(ctx, b)
	if err != nil {
		return failedBatch{err}
	}
	return br
}

// failedBatch is the results of a batch that the prefix failed.
type failedBatch struct{ err error }

func (f failedBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, f.err }
func (f failedBatch) Query() (pgx.Rows, error)         { return nil, f.err }
func (f failedBatch) QueryRow() pgx.Row                { return errRow(f) }
func (f failedBatch) Close() error                     { return f.err }
func (f failedBatch) Tx() pgx.Tx                       { return nil }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// defer queues a write-behind write.
func (p *pipe) defer_(q queued) error {
	if p.failed != nil {
		return p.failed
	}
	p.pending = append(p.pending, q)
	return nil
}

// commit sends what waits and COMMIT in one batch. A unit that sent
// nothing and has nothing waiting never began: it commits without a
// round trip.
func (p *pipe) commit(ctx context.Context) error {
	if p.failed != nil {
		return p.failed
	}
	if p.begin != "" && len(p.pending) == 0 {
		p.begin = ""
		return nil
	}
	b := &pgx.Batch{}
	b.Queue("COMMIT")
	br, err := p.send(ctx, b)
	if err != nil {
		return err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return mapErr("commit", err)
	}
	if tag.String() == "ROLLBACK" {
		// The server rolled an aborted transaction back.
		return mapErr("commit", pgx.ErrTxCommitRollback)
	}
	return nil
}

// rollback ends a transaction that began, if it is still open. The
// connection is closed when that fails, so that the pool never hands out
// a connection in a transaction.
func (p *pipe) rollback(ctx context.Context) {
	if p.begin != "" {
		return // never began
	}
	if _, err := p.conn.Exec(ctx, "ROLLBACK"); err != nil {
		_ = p.conn.Conn().Close(ctx)
	}
}
