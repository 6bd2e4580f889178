package httpapi

import (
	"context"
	"crypto/ecdsa"
	_ "embed"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"sort"
	"strings"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/ratelimit"
)

// Config configures the handler. The zero value is usable: no integrator
// keys (integrator routes then refuse every request), default rate limits, no
// trusted proxies. The handler logs, reads the time (rate limits, request
// durations, signature timestamps) and draws request ids through the
// Runtime of the Service it serves, so both share one clock and one logger.
type Config struct {
	// IntegratorKeys are the P-256 public keys allowed to call [integrator]
	// routes (see ParsePublicKeyHex).
	IntegratorKeys []*ecdsa.PublicKey
	// Signature configures the integrator signature check; its Clock
	// defaults to Clock.
	Signature SignatureConfig

	// RateLimits configures the per-IP and per-user limits.
	RateLimits RateLimits
	// Limiter keeps the counts of RateLimits (default: in process,
	// ratelimit.NewMemory). Behind several replicas give a shared one —
	// postgres.Store.Limiter or redisrate — or every limit is looser by the
	// number of replicas. A limiter that fails refuses the request (503).
	Limiter ratelimit.Limiter
	// TrustedProxies lists the networks of reverse proxies whose
	// X-Forwarded-For header is believed. Empty: the direct peer is the
	// client.
	TrustedProxies []netip.Prefix

	// MaxBodyBytes bounds request bodies (default DefaultMaxBodyBytes,
	// 1 MiB); MaxUploadBytes bounds those of POST /v1/kyc and POST
	// /v1/integrator/individual-accounts (default DefaultMaxUploadBytes,
	// 16 MiB).
	MaxBodyBytes, MaxUploadBytes int64
}

//go:embed openapi.yaml
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3.1 document of the API, as served at GET
// /openapi.yaml.
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }

// Steps is what the handler needs of the onboarding Service: the steps it
// serves. *onboarding.Service implements it; a handler test may use a fake.
type Steps interface {
	// Runtime is the clock, random source and logger the handler shares
	// with the steps.
	Runtime() onboardkit.Runtime

	SignUp(ctx context.Context, req onboarding.SignUpRequest) (*onboarding.SignUpResult, error)
	ConfirmPhone(ctx context.Context, challengeID, code string) (*onboarding.AuthResult, error)
	ResendPhoneCode(ctx context.Context, challengeID string) (*onboarding.Challenge, error)
	AddEmail(ctx context.Context, userID, email string) (*onboarding.Challenge, error)
	ConfirmEmail(ctx context.Context, userID, challengeID, code string) (*onboarding.AuthResult, error)

	Login(ctx context.Context, req onboarding.LoginRequest) (*onboarding.LoginResult, error)
	VerifyLoginChallenge(ctx context.Context, sessionID, code string) (*onboarding.AuthResult, error)
	Refresh(ctx context.Context, refreshToken string) (*onboarding.Tokens, error)
	Logout(ctx context.Context, userID, refreshToken string) error
	VerifyAccessToken(ctx context.Context, token string) (*onboarding.AccessClaims, error)
	JWKS() []byte

	ForgotPassword(ctx context.Context, username string) (*onboarding.ForgotPasswordResult, error)
	ResetPassword(ctx context.Context, sessionID, code, newPassword, confirm string) error
	ChangePassword(ctx context.Context, userID, current, newPassword, confirm string) (*onboarding.PasswordChangeResult, error)
	ConfirmPasswordChange(ctx context.Context, userID, sessionID, code string) error

	Me(ctx context.Context, userID string) (*onboarding.UserView, error)
	ExportUser(ctx context.Context, userID string) (*onboarding.Export, error)
	EraseUser(ctx context.Context, userID string) error
	UpdateProfile(ctx context.Context, userID string, p kyc.Profile) error
	SubmitCompliance(ctx context.Context, userID string, c kyc.Compliance) error
	SubmitKYC(ctx context.Context, userID string, sub kyc.Submission) (*kyc.Result, error)
	KYCStatus(ctx context.Context, userID string) (*kyc.Result, error)
	RecordKYCDecision(ctx context.Context, userID string, d kyc.Decision) (*onboarding.DecisionResult, error)
	CreateIndividualAccount(ctx context.Context, req kyc.IndividualAccountRequest) (*onboarding.IndividualAccountResult, error)

	CreateAccount(ctx context.Context, userID string) (*portfolio.Account, error)
	ListAccounts(ctx context.Context, userID string) ([]portfolio.Account, error)
	CreatePortfolio(ctx context.Context, userID, accountID, name, portfolioType string) (*portfolio.Portfolio, error)
}

var _ Steps = (*onboarding.Service)(nil)

type api struct {
	svc     Steps
	log     *slog.Logger
	clock   onboardkit.Clock
	rand    io.Reader
	mux     *http.ServeMux
	limits  *limits
	proxies []netip.Prefix
	sig     func(http.Handler) http.Handler
	routes  []route
}

// authKind says how a route authenticates.
type authKind int

const (
	authNone authKind = iota
	authUser
	authIntegrator
)

type route struct {
	method, path string
	auth         authKind
	upload       bool // the larger body limit
	handler      http.HandlerFunc
}

// New returns the handler serving every route of the API for svc (usually
// an *onboarding.Service). It panics when svc is nil.
func New(svc Steps, cfg Config) http.Handler {
	return newAPI(svc, cfg)
}

func newAPI(svc Steps, opts Config) *api {
	if svc == nil {
		panic("httpapi: New with a nil Steps")
	}
	rt := svc.Runtime().WithDefaults()
	if opts.Limiter == nil {
		opts.Limiter = ratelimit.NewMemory(ratelimit.WithClock(rt.Clock))
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = DefaultMaxUploadBytes
	}
	a := &api{
		svc:     svc,
		log:     rt.Logger,
		clock:   rt.Clock,
		rand:    rt.Rand,
		mux:     http.NewServeMux(),
		limits:  newLimits(opts.RateLimits, opts.Limiter),
		proxies: opts.TrustedProxies,
		sig:     RequireSignature(opts.IntegratorKeys, opts.Signature, rt),
	}
	a.routes = a.routeTable()
	paths := map[string][]string{}
	for _, rt := range a.routes {
		var h http.Handler = rt.handler
		switch rt.auth {
		case authUser:
			h = a.requireUser(h)
		case authIntegrator:
			h = a.sig(h)
		}
		if rt.method != http.MethodGet {
			limit := opts.MaxBodyBytes
			if rt.upload {
				limit = opts.MaxUploadBytes
			}
			h = limitBody(limit, h)
		}
		a.mux.Handle(rt.method+" "+rt.path, h)
		paths[rt.path] = append(paths[rt.path], rt.method)
	}
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if methods, ok := paths[r.URL.Path]; ok {
			allow := append([]string(nil), methods...)
			if contains(allow, http.MethodGet) {
				allow = append(allow, http.MethodHead)
			}
			sort.Strings(allow)
			w.Header().Set("Allow", strings.Join(allow, ", "))
			WriteError(w, httpError(CodeMethodNotAllowed, "This method is not allowed on this path."))
			return
		}
		WriteError(w, &onboardkit.Error{Code: onboardkit.CodeNotFound, Message: "No such route."})
	})
	return a
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ServeHTTP implements http.Handler.
func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.serveObserved(w, r) }

// Routes lists the "METHOD /path" patterns the handler serves, in the order of
// docs/API.md.
func Routes() []string {
	a := &api{}
	var out []string
	for _, rt := range a.routeTable() {
		out = append(out, rt.method+" "+rt.path)
	}
	return out
}

func (a *api) routeTable() []route {
	return []route{
		{method: "POST", path: "/v1/signup", handler: a.signUp},
		{method: "POST", path: "/v1/phone/confirm", handler: a.confirmPhone},
		{method: "POST", path: "/v1/phone/resend", handler: a.resendPhone},
		{method: "PUT", path: "/v1/email", auth: authUser, handler: a.addEmail},
		{method: "POST", path: "/v1/email/confirm", auth: authUser, handler: a.confirmEmail},
		{method: "POST", path: "/v1/login", handler: a.login},
		{method: "POST", path: "/v1/otp", handler: a.verifyOTP},
		{method: "POST", path: "/v1/refresh", handler: a.refresh},
		{method: "POST", path: "/v1/logout", auth: authUser, handler: a.logout},
		{method: "POST", path: "/v1/password/forgot", handler: a.forgotPassword},
		{method: "POST", path: "/v1/password/reset", handler: a.resetPassword},
		{method: "PUT", path: "/v1/password", auth: authUser, handler: a.changePassword},
		{method: "POST", path: "/v1/password/confirm", auth: authUser, handler: a.confirmPasswordChange},
		{method: "GET", path: "/v1/me", auth: authUser, handler: a.me},
		{method: "GET", path: "/v1/me/export", auth: authUser, handler: a.exportMe},
		{method: "DELETE", path: "/v1/me", auth: authUser, handler: a.eraseMe},
		{method: "PATCH", path: "/v1/profile", auth: authUser, handler: a.updateProfile},
		{method: "POST", path: "/v1/compliance", auth: authUser, handler: a.submitCompliance},
		{method: "POST", path: "/v1/kyc", auth: authUser, upload: true, handler: a.submitKYC},
		{method: "GET", path: "/v1/kyc", auth: authUser, handler: a.kycStatus},
		{method: "POST", path: "/v1/integrator/kyc-decisions", auth: authIntegrator, handler: a.kycDecision},
		{method: "POST", path: "/v1/integrator/individual-accounts", auth: authIntegrator, upload: true, handler: a.individualAccount},
		{method: "GET", path: "/v1/accounts", auth: authUser, handler: a.listAccounts},
		{method: "POST", path: "/v1/accounts", auth: authUser, handler: a.createAccount},
		{method: "POST", path: "/v1/portfolios", auth: authUser, handler: a.createPortfolio},
		{method: "GET", path: "/.well-known/jwks.json", handler: a.jwks},
		{method: "GET", path: "/openapi.yaml", handler: a.openAPI},
		{method: "GET", path: "/healthz", handler: a.healthz},
	}
}

// allowIP takes one request of q for the client IP of r, writing a 429
// problem (503 when the limiter cannot decide) and returning false when
// there is none.
func (a *api) allowIP(w http.ResponseWriter, r *http.Request, q quota) bool {
	ok, err := a.limits.decide(r.Context(), q, clientIP(r, a.proxies), 1)
	if err != nil {
		a.refuse(w, r, err)
	}
	return ok
}

// refuse writes the problem of a refused request; a limiter that failed is
// logged.
func (a *api) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, onboardkit.ErrUnavailable) {
		a.log.ErrorContext(r.Context(), "rate limiter unavailable; request refused", "request_id", RequestID(r.Context()), "error", err.Error())
	}
	WriteError(w, err)
}

// probeAllowed guards a route whose identifier_taken answer tells whether
// an identifier is registered: once the client IP (or the signed-in user)
// has had its share of such answers, it gets 429 before anything is
// looked up.
func (a *api) probeAllowed(w http.ResponseWriter, r *http.Request, user string) bool {
	ok, err := a.limits.decide(r.Context(), a.limits.takenIP, clientIP(r, a.proxies), 0)
	if ok && user != "" {
		ok, err = a.limits.decide(r.Context(), a.limits.takenUser, user, 0)
	}
	if err != nil {
		a.refuse(w, r, err)
	}
	return ok
}

// countProbe counts an identifier_taken answer against the client IP and
// the user.
func (a *api) countProbe(r *http.Request, user string, err error) {
	if !errors.Is(err, onboardkit.ErrIdentifierTaken) {
		return
	}
	_, _ = a.limits.decide(r.Context(), a.limits.takenIP, clientIP(r, a.proxies), 1)
	if user != "" {
		_, _ = a.limits.decide(r.Context(), a.limits.takenUser, user, 1)
	}
}

// userID returns the authenticated user of a [user] request.
func userID(r *http.Request) string {
	if c, ok := Claims(r.Context()); ok {
		return c.UserID
	}
	return ""
}

// isSendFailed reports whether err is a send_failed error.
func isSendFailed(err error) bool {
	var oe *onboardkit.Error
	return errors.As(err, &oe) && oe.Code == onboardkit.CodeSendFailed
}
