package httpapi

import (
	"container/list"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/onboardkit/onboardkit"
)

// RateLimits configures the per-client-IP and per-user limits. Each
// limit is a number of requests per Window, enforced with a token bucket whose
// burst is the limit and which refills the limit over one Window. A zero limit
// takes its default; a negative limit disables that limit.
type RateLimits struct {
	// Disabled turns every limit off (tests, or a host that limits upstream).
	Disabled bool
	// Window is the period of every limit (default 5 minutes).
	Window time.Duration
	// Per client IP.
	SignUpPerIP         int // POST /v1/signup (default 30)
	LoginPerIP          int // POST /v1/login (default 30)
	ForgotPasswordPerIP int // POST /v1/password/forgot (default 30)
	VerifyPerIP         int // code verifications: phone/confirm, email/confirm, otp, password/reset, password/confirm (default 60)
	ResendPerIP         int // POST /v1/phone/resend (default 30)
	// IdentifierTakenPerIP and IdentifierTakenPerUser bound the
	// identifier_taken answers (sign-up, PUT /v1/email), each a yes/no on
	// an identifier's registration, per client IP and per signed-in user
	// (default 10 each); past them the route answers 429 before looking.
	IdentifierTakenPerIP, IdentifierTakenPerUser int
	// Logins are not limited per username here: a per-username limit would
	// let a stranger's failures refuse the owner. The Service's login
	// throttle, kept in the shared store, bounds guesses per account and
	// keeps the owner's known devices apart.
	//
	// MaxKeys bounds the number of IPs (or users) each limiter
	// remembers (default 100000). Keys idle for a whole Window are dropped
	// first (their bucket is full again, so nothing is lost); past the bound
	// the least recently seen key is evicted, which resets its budget, so
	// keep MaxKeys above the number of distinct clients expected per Window.
	MaxKeys int
}

// DefaultRateLimits returns the defaults of docs/API.md.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		Window:                 5 * time.Minute,
		SignUpPerIP:            30,
		LoginPerIP:             30,
		ForgotPasswordPerIP:    30,
		VerifyPerIP:            60,
		ResendPerIP:            30,
		IdentifierTakenPerIP:   10,
		IdentifierTakenPerUser: 10,
		MaxKeys:                100_000,
	}
}

func (rl RateLimits) withDefaults() RateLimits {
	d := DefaultRateLimits()
	pick := func(v, def int) int {
		if v == 0 {
			return def
		}
		return v
	}
	rl.SignUpPerIP = pick(rl.SignUpPerIP, d.SignUpPerIP)
	rl.LoginPerIP = pick(rl.LoginPerIP, d.LoginPerIP)
	rl.ForgotPasswordPerIP = pick(rl.ForgotPasswordPerIP, d.ForgotPasswordPerIP)
	rl.VerifyPerIP = pick(rl.VerifyPerIP, d.VerifyPerIP)
	rl.ResendPerIP = pick(rl.ResendPerIP, d.ResendPerIP)
	rl.IdentifierTakenPerIP = pick(rl.IdentifierTakenPerIP, d.IdentifierTakenPerIP)
	rl.IdentifierTakenPerUser = pick(rl.IdentifierTakenPerUser, d.IdentifierTakenPerUser)
	if rl.MaxKeys <= 0 {
		rl.MaxKeys = d.MaxKeys
	}
	if rl.Window <= 0 {
		rl.Window = d.Window
	}
	return rl
}

// limiter is a set of token buckets keyed by client IP or identifier, held in
// a bounded LRU map. A nil *limiter allows everything.
type limiter struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	window  time.Duration
	max     int
	entries map[string]*list.Element
	lru     *list.List // front: most recently used
}

type limiterEntry struct {
	key  string
	lim  *rate.Limiter
	last time.Time
}

func newLimiter(n int, window time.Duration, maxKeys int) *limiter {
	if n <= 0 {
		return nil
	}
	return &limiter{
		limit:   rate.Limit(float64(n) / window.Seconds()),
		burst:   n,
		window:  window,
		max:     maxKeys,
		entries: make(map[string]*list.Element),
		lru:     list.New(),
	}
}

// allow takes one token for key at now; when none is left it returns false
// and how long until one is.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	return l.use(key, now, true)
}

// left reports whether key has a token at now, without taking it, and when
// it does not how long until one is.
func (l *limiter) left(key string, now time.Time) (bool, time.Duration) {
	return l.use(key, now, false)
}

func (l *limiter) use(key string, now time.Time, take bool) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// Drop keys idle for a whole window: their bucket is full again.
	for e := l.lru.Back(); e != nil; {
		en := e.Value.(*limiterEntry)
		if now.Sub(en.last) < l.window {
			break
		}
		prev := e.Prev()
		l.lru.Remove(e)
		delete(l.entries, en.key)
		e = prev
	}
	el, ok := l.entries[key]
	if ok {
		l.lru.MoveToFront(el)
	} else {
		for len(l.entries) >= l.max {
			back := l.lru.Back()
			l.lru.Remove(back)
			delete(l.entries, back.Value.(*limiterEntry).key)
		}
		el = l.lru.PushFront(&limiterEntry{key: key, lim: rate.NewLimiter(l.limit, l.burst)})
		l.entries[key] = el
	}
	en := el.Value.(*limiterEntry)
	if now.After(en.last) {
		en.last = now
	}
	r := en.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, l.window
	}
	d := r.DelayFrom(now)
	if d > 0 || !take {
		r.CancelAt(now)
	}
	return d <= 0, d
}

// size reports how many keys the limiter holds (tests).
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// limiters holds every limiter of a handler.
type limiters struct {
	signUp, login, forgot, verify, resend *limiter
	// takenIP and takenUser count identifier_taken answers.
	takenIP, takenUser *limiter
}

func newLimiters(rl RateLimits) *limiters {
	if rl.Disabled {
		return &limiters{}
	}
	rl = rl.withDefaults()
	return &limiters{
		signUp:    newLimiter(rl.SignUpPerIP, rl.Window, rl.MaxKeys),
		login:     newLimiter(rl.LoginPerIP, rl.Window, rl.MaxKeys),
		forgot:    newLimiter(rl.ForgotPasswordPerIP, rl.Window, rl.MaxKeys),
		verify:    newLimiter(rl.VerifyPerIP, rl.Window, rl.MaxKeys),
		resend:    newLimiter(rl.ResendPerIP, rl.Window, rl.MaxKeys),
		takenIP:   newLimiter(rl.IdentifierTakenPerIP, rl.Window, rl.MaxKeys),
		takenUser: newLimiter(rl.IdentifierTakenPerUser, rl.Window, rl.MaxKeys),
	}
}

// rateLimited is the error of a refused request.
func rateLimited(retry time.Duration) error {
	return &onboardkit.Error{Code: onboardkit.CodeRateLimited, Message: "Too many requests; try again later.", RetryAfter: retry}
}

// clientIP returns the address of the client: the direct peer, or, when the
// peer is a trusted proxy, the right-most address of X-Forwarded-For that is
// not a trusted proxy.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	hops := r.Header.Values("X-Forwarded-For")
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, ok := parseAddr(strings.TrimSpace(parts[j]))
			if !ok {
				return addr.String()
			}
			addr = a
			if !isTrusted(a, trusted) {
				return a.String()
			}
		}
	}
	return addr.String()
}

func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
