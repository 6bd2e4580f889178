package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/ratelimit"
)

// RateLimits configures the per-client-IP and per-user limits. Each
// limit is a number of requests per Window, enforced by the Config's
// ratelimit.Limiter (GCRA: a burst of the limit, refilled over one Window).
// A zero limit takes its default; a negative limit disables that limit.
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
	if rl.Window <= 0 {
		rl.Window = d.Window
	}
	return rl
}

// quota is one limit of the handler: a key prefix and its Limit. A zero
// quota (a disabled limit) allows everything.
type quota struct {
	prefix string
	limit  ratelimit.Limit
}

// limits holds every limit of a handler and the Limiter that keeps their
// counts (in process, or shared by the replicas).
type limits struct {
	lim                                   ratelimit.Limiter
	signUp, login, forgot, verify, resend quota
	// takenIP and takenUser count identifier_taken answers.
	takenIP, takenUser quota
}

func newLimits(rl RateLimits, lim ratelimit.Limiter) *limits {
	if rl.Disabled {
		return &limits{lim: lim}
	}
	rl = rl.withDefaults()
	q := func(prefix string, n int) quota {
		if n <= 0 {
			return quota{}
		}
		return quota{prefix: prefix, limit: ratelimit.Limit{Rate: n, Period: rl.Window}}
	}
	return &limits{
		lim:       lim,
		signUp:    q("signup:ip:", rl.SignUpPerIP),
		login:     q("login:ip:", rl.LoginPerIP),
		forgot:    q("forgot:ip:", rl.ForgotPasswordPerIP),
		verify:    q("verify:ip:", rl.VerifyPerIP),
		resend:    q("resend:ip:", rl.ResendPerIP),
		takenIP:   q("taken:ip:", rl.IdentifierTakenPerIP),
		takenUser: q("taken:user:", rl.IdentifierTakenPerUser),
	}
}

// decide takes cost requests of key under q (cost 0: only looks). A
// limiter that cannot decide refuses: the error is unavailable.
func (l *limits) decide(ctx context.Context, q quota, key string, cost int) (bool, error) {
	if q.limit.Rate == 0 {
		return true, nil
	}
	res, err := l.lim.Allow(ctx, q.prefix+key, q.limit, cost)
	if err != nil {
		return false, &onboardkit.Error{Code: onboardkit.CodeUnavailable, Message: onboardkit.CodeUnavailable.Message(), RetryAfter: time.Second, Err: err}
	}
	if !res.Allowed {
		return false, rateLimited(res.RetryAfter)
	}
	return true, nil
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
