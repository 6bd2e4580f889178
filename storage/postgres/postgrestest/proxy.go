package postgrestest

import (
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onboardkit/onboardkit/storage/postgres"
)

// Proxy is a TCP proxy in front of the test database that a test takes
// down and brings back up, to simulate an outage: while it is down,
// connecting is refused and the connections it forwarded are lost. Create
// it with [NewProxy]; it is closed when the test ends.
type Proxy struct {
	target string // host:port of the database
	addr   string // the proxy's own address, kept across Down and Up

	mu    sync.Mutex
	ln    net.Listener // nil while down
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewProxy starts a proxy on a free port of 127.0.0.1 that forwards to the
// host and port of dsn.
func NewProxy(t testing.TB, dsn string) *Proxy {
	t.Helper()
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("postgrestest: parse %s: %v", EnvVar, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("postgrestest: proxy: %v", err)
	}
	p := &Proxy{
		target: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))),
		addr:   ln.Addr().String(),
		conns:  map[net.Conn]struct{}{},
	}
	p.serve(ln)
	t.Cleanup(func() {
		p.Down()
		p.wg.Wait()
	})
	return p
}

// Addr returns the proxy's address (host:port), the same after Up.
func (p *Proxy) Addr() string { return p.addr }

// Option returns the option that makes a store's pool connect through the
// proxy instead of the DSN's host and port.
func (p *Proxy) Option() postgres.Option {
	host, port, _ := net.SplitHostPort(p.addr)
	n, _ := strconv.Atoi(port)
	return postgres.WithPoolConfig(func(c *pgxpool.Config) {
		c.ConnConfig.Host, c.ConnConfig.Port, c.ConnConfig.Fallbacks = host, uint16(n), nil
	})
}

// Down stops listening and closes every forwarded connection. It does
// nothing when the proxy is already down.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return
	}
	_ = p.ln.Close()
	p.ln = nil
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

// Up listens again on the same address. It does nothing when the proxy is
// up, and panics when the address cannot be taken again within a second.
func (p *Proxy) Up() {
	p.mu.Lock()
	up := p.ln != nil
	p.mu.Unlock()
	if up {
		return
	}
	var (
		ln  net.Listener
		err error
	)
	for range 100 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.serve(ln)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	panic("postgrestest: proxy: listen again on " + p.addr + ": " + err.Error())
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.forward(ln, c)
		}
	})
}

// forward connects c to the database, unless the listener that accepted
// it was closed meanwhile.
func (p *Proxy) forward(ln net.Listener, c net.Conn) {
	d, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != ln {
		_ = c.Close()
		_ = d.Close()
		return
	}
	p.conns[c], p.conns[d] = struct{}{}, struct{}{}
	p.wg.Go(func() { p.pipe(c, d) })
	p.wg.Go(func() { p.pipe(d, c) })
}

// pipe copies from src to dst until either side ends, then closes both.
func (p *Proxy) pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src) // a lost connection is what the proxy simulates
	_ = dst.Close()
	_ = src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// NewBehindProxy returns a migrated store in a fresh schema (as [New])
// whose connections go through a new [Proxy], and the proxy.
func NewBehindProxy(t testing.TB, opts ...postgres.Option) (*postgres.Store, *Proxy) {
	t.Helper()
	dsn, schema := Schema(t)
	p := NewProxy(t, dsn)
	st := Open(t, dsn, schema, append([]postgres.Option{p.Option()}, opts...)...)
	migrate(t, st)
	return st, p
}
