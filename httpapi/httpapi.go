package httpapi

import (
	"context"
	"crypto/ecdsa"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/kyc/provider"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/ratelimit"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Config configures the handler. The zero value is usable: no integrator
// or operator keys (their routes then refuse every request), default rate
// limits, no trusted proxies. The handler logs, reads the time (rate
// limits, request durations, signature timestamps) and draws request ids
// through the Runtime of the Service it serves, so both share one clock and
// one logger.
type Config struct {
	// IntegratorKeys are the P-256 public keys allowed to call [integrator]
	// routes (see ParsePublicKeyHex).
	IntegratorKeys []*ecdsa.PublicKey
	// OperatorKeys are the P-256 public keys allowed to call [operator]
	// routes (/v1/operator/…): the same signature scheme, a separate
	// allow-list. An integrator key does not pass an operator route, nor
	// an operator key an integrator route; give each role keys of its own.
	// The verified key names the operator in the audit log
	// (onboarding.Actor, see OperatorKey).
	OperatorKeys []*ecdsa.PublicKey
	// Signature configures the signature check of integrator and operator
	// routes; they share its replay cache.
	Signature SignatureConfig
	// Providers are the KYC providers whose notifications POST
	// /v1/providers/{name}/webhook accepts (package kyc/provider); each
	// verifies its own signature.
	Providers []provider.Adapter
	// Webhooks, when set, serves the operator's list and replay of failed
	// webhook deliveries (a *webhook.Deliverer).
	Webhooks Webhooks

	// BasePath serves the API under a prefix ("/auth": POST
	// /auth/v1/signup), for a host that mounts the handler in its own mux
	// at that prefix without stripping it (mux.Handle("/auth/", h)).
	// Signatures are verified over the path the client sent, prefix
	// included, and logs show it. Empty: the API at the root.
	BasePath string

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
	ResendEmailCode(ctx context.Context, userID, challengeID string) (*onboarding.Challenge, error)
	ChangePhone(ctx context.Context, userID, phone string) (*onboarding.Challenge, error)
	ConfirmPhoneChange(ctx context.Context, userID, challengeID, code string) (*onboarding.AuthResult, error)

	Login(ctx context.Context, req onboarding.LoginRequest) (*onboarding.LoginResult, error)
	VerifyLoginChallenge(ctx context.Context, sessionID, code string) (*onboarding.AuthResult, error)
	ResendLoginCode(ctx context.Context, sessionID string) (*onboarding.Challenge, error)
	LoginWithRecoveryCode(ctx context.Context, sessionID, recoveryCode string) (*onboarding.AuthResult, error)
	Refresh(ctx context.Context, refreshToken string) (*onboarding.Tokens, error)
	Logout(ctx context.Context, userID, refreshToken string) error
	LogoutEverywhere(ctx context.Context, userID string) error
	ListSessions(ctx context.Context, userID string) ([]onboarding.SessionInfo, error)
	EndSession(ctx context.Context, userID, sessionID string) error
	VerifyAccessToken(ctx context.Context, token string) (*onboarding.AccessClaims, error)
	JWKS() []byte

	ForgotPassword(ctx context.Context, username string) (*onboarding.ForgotPasswordResult, error)
	ResendPasswordResetCode(ctx context.Context, sessionID string) (*onboarding.ForgotPasswordResult, error)
	ResetPassword(ctx context.Context, sessionID, code, newPassword, confirm string) error
	ChangePassword(ctx context.Context, userID, current, newPassword, confirm string) (*onboarding.PasswordChangeResult, error)
	ConfirmPasswordChange(ctx context.Context, userID, sessionID, code string) error
	BeginTOTP(ctx context.Context, userID string) (*otp.Enrollment, error)
	ConfirmTOTP(ctx context.Context, userID, code string) ([]string, error)
	RemoveTOTP(ctx context.Context, userID string) error
	BeginPasskeyRegistration(ctx context.Context, userID string) (*onboarding.PasskeyOptions, error)
	RegisterPasskey(ctx context.Context, userID string, req onboarding.PasskeyRegistration) (*onboarding.Passkey, error)
	ListPasskeys(ctx context.Context, userID string) ([]onboarding.Passkey, error)
	RemovePasskey(ctx context.Context, userID, passkeyID string) error
	VerifyLoginPasskey(ctx context.Context, sessionID string, credential json.RawMessage) (*onboarding.AuthResult, error)
	BeginPasskeyLogin(ctx context.Context) (*onboarding.PasskeyOptions, error)
	LoginWithPasskey(ctx context.Context, ceremonyID string, credential json.RawMessage) (*onboarding.AuthResult, error)
	IssuePasskeyChallenge(ctx context.Context, req onboarding.PasskeyChallengeRequest) (*onboarding.PasskeyChallenge, error)

	Me(ctx context.Context, userID string) (*onboarding.UserView, error)
	ExportUser(ctx context.Context, userID string) (*onboarding.Export, error)
	EraseUser(ctx context.Context, userID string) error
	PatchProfile(ctx context.Context, userID string, p kyc.ProfilePatch) (*onboarding.ProfileResult, error)
	SubmitCompliance(ctx context.Context, userID string, c kyc.Compliance) error
	SubmitKYC(ctx context.Context, userID string, sub kyc.Submission) (*kyc.Result, error)
	KYCStatus(ctx context.Context, userID string) (*kyc.Result, error)
	Ping(ctx context.Context) error
	RecordKYCDecision(ctx context.Context, userID string, d kyc.Decision) (*onboarding.DecisionResult, error)
	RecordProviderDecision(ctx context.Context, provider, eventID, userID string, d kyc.Decision) (*onboarding.DecisionResult, error)
	CreateIndividualAccount(ctx context.Context, req kyc.IndividualAccountRequest) (*onboarding.IndividualAccountResult, error)

	CreateAccount(ctx context.Context, userID string, req onboarding.AccountRequest) (*portfolio.Account, error)
	ListAccounts(ctx context.Context, userID string) ([]portfolio.Account, error)
	ListPortfolios(ctx context.Context, userID, accountID string) ([]portfolio.Portfolio, error)
	CreatePortfolio(ctx context.Context, userID string, req onboarding.PortfolioRequest) (*portfolio.Portfolio, error)

	LockUser(ctx context.Context, by onboarding.Actor, userID string) error
	UnlockUser(ctx context.Context, by onboarding.Actor, userID string) error
	DeactivateUser(ctx context.Context, by onboarding.Actor, userID string) error
	ReactivateUser(ctx context.Context, by onboarding.Actor, userID string) error
	SetRoles(ctx context.Context, by onboarding.Actor, userID string, roles []string) error
	SetMetadata(ctx context.Context, by onboarding.Actor, userID string, metadata map[string]string) error
	CreateAccountFor(ctx context.Context, by onboarding.Actor, userID string, req onboarding.AccountRequest) (*portfolio.Account, error)
	SearchUsers(ctx context.Context, by onboarding.Actor, q onboarding.UserQuery) (*onboarding.UserPage, error)
	UserEvents(ctx context.Context, by onboarding.Actor, userID, cursor string, limit int) (*onboarding.EventPage, error)
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
	// sig and opSig check the signatures of integrator and operator
	// routes against their own allow-lists.
	sig, opSig func(http.Handler) http.Handler
	routes     []route
	providers  map[string]provider.Adapter
	webhooks   Webhooks
	// base is Config.BasePath without a trailing slash.
	base string
	// refused counts the requests the rate limits refused.
	refused metric.Int64Counter
}

// authKind says how a route authenticates.
type authKind int

const (
	authNone authKind = iota
	authUser
	authIntegrator
	authOperator
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
	if opts.Signature.Replay == nil {
		// One cache for both allow-lists (its keys name the public key).
		opts.Signature.Replay = ratelimit.NewMemoryReplayCache(ratelimit.WithReplayClock(rt.Clock))
	}
	base := strings.TrimRight(opts.BasePath, "/")
	if base != "" && !strings.HasPrefix(base, "/") {
		panic("httpapi: Config.BasePath must start with /")
	}
	if shared := sharedKeys(opts.IntegratorKeys, opts.OperatorKeys); shared > 0 {
		rt.Logger.Warn("httpapi: keys are both integrator and operator keys; they pass the routes of both", "keys", shared)
	}
	a := &api{
		svc:       svc,
		log:       rt.Logger,
		clock:     rt.Clock,
		rand:      rt.Rand,
		mux:       http.NewServeMux(),
		limits:    newLimits(opts.RateLimits, opts.Limiter),
		proxies:   opts.TrustedProxies,
		sig:       requireSignature(opts.IntegratorKeys, opts.Signature, rt, integratorKeyCtx{}),
		opSig:     requireSignature(opts.OperatorKeys, opts.Signature, rt, operatorKeyCtx{}),
		webhooks:  opts.Webhooks,
		base:      base,
		providers: map[string]provider.Adapter{},
	}
	for _, p := range opts.Providers {
		a.providers[p.Name()] = p
	}
	var err error
	a.refused, err = rt.Meter.Meter("github.com/onboardkit/onboardkit/httpapi").Int64Counter("onboardkit.http.refused",
		metric.WithDescription("Requests refused by a rate limit (rate_limited) or because the limiter was unavailable, by route."))
	if err != nil {
		a.refused, _ = noop.NewMeterProvider().Meter("").Int64Counter("")
	}
	a.routes = a.routeTable()
	for _, rt := range a.routes {
		var h http.Handler = rt.handler
		switch rt.auth {
		case authUser:
			h = a.requireUser(h)
		case authIntegrator:
			h = a.sig(h)
		case authOperator:
			h = a.opSig(h)
		}
		if rt.method != http.MethodGet {
			limit := opts.MaxBodyBytes
			if rt.upload {
				limit = opts.MaxUploadBytes
			}
			h = limitBody(limit, h)
		}
		a.mux.Handle(rt.method+" "+a.base+rt.path, h)
	}
	// A literal path that a wildcard pattern of another method also
	// matches (POST /v1/passkeys/options, DELETE /v1/passkeys/{passkeyId})
	// belongs to its literal routes: the other method answers 405 there.
	shadowed := map[string]bool{}
	for _, lit := range a.routes {
		if strings.Contains(lit.path, "{") {
			continue
		}
		for _, wc := range a.routes {
			pattern := wc.method + " " + a.base + lit.path
			if !strings.Contains(wc.path, "{") || !matchPattern(wc.path, lit.path) || shadowed[pattern] || a.servesExactly(wc.method, lit.path) {
				continue
			}
			shadowed[pattern] = true
			a.mux.HandleFunc(pattern, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Allow", strings.Join(a.methodsOf(lit.path), ", "))
				WriteError(w, httpError(CodeMethodNotAllowed, "This method is not allowed on this path."))
			})
		}
	}
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		path, inBase := strings.CutPrefix(r.URL.Path, a.base)
		if allow := a.methodsOf(path); inBase && len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			WriteError(w, httpError(CodeMethodNotAllowed, "This method is not allowed on this path."))
			return
		}
		WriteError(w, &onboardkit.Error{Code: onboardkit.CodeNotFound, Message: "No such route."})
	})
	return a
}

// servesExactly reports whether a route of method has exactly path as its
// pattern.
func (a *api) servesExactly(method, path string) bool {
	return slices.ContainsFunc(a.routes, func(rt route) bool { return rt.method == method && rt.path == path })
}

// methodsOf lists, sorted, the methods the routes whose pattern matches
// path serve (HEAD with GET); none for a path no route has. A path that
// is the literal pattern of a route is served by the literal routes only.
func (a *api) methodsOf(path string) []string {
	literal := slices.ContainsFunc(a.routes, func(rt route) bool { return rt.path == path })
	var allow []string
	for _, rt := range a.routes {
		if literal && rt.path != path {
			continue
		}
		if matchPattern(rt.path, path) && !slices.Contains(allow, rt.method) {
			allow = append(allow, rt.method)
			if rt.method == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	sort.Strings(allow)
	return allow
}

// matchPattern reports whether path has the segments of a route pattern,
// where a {name} segment stands for any non-empty one.
func matchPattern(pattern, path string) bool {
	want, got := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return false
	}
	for i, seg := range want {
		if strings.HasPrefix(seg, "{") {
			if got[i] == "" {
				return false
			}
		} else if seg != got[i] {
			return false
		}
	}
	return true
}

// sharedKeys counts the keys of a that are also in b.
func sharedKeys(a, b []*ecdsa.PublicKey) int {
	n := 0
	for _, k := range a {
		if slices.ContainsFunc(b, func(o *ecdsa.PublicKey) bool { return k != nil && k.Equal(o) }) {
			n++
		}
	}
	return n
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
		{method: "POST", path: "/v1/email/resend", auth: authUser, handler: a.resendEmail},
		{method: "PUT", path: "/v1/phone", auth: authUser, handler: a.changePhone},
		{method: "POST", path: "/v1/phone/verify", auth: authUser, handler: a.confirmPhoneChange},
		{method: "POST", path: "/v1/login", handler: a.login},
		{method: "POST", path: "/v1/otp", handler: a.verifyOTP},
		{method: "POST", path: "/v1/login/resend", handler: a.resendLogin},
		{method: "POST", path: "/v1/login/recovery", handler: a.loginWithRecoveryCode},
		{method: "POST", path: "/v1/login/passkey/assert", handler: a.assertLoginPasskey},
		{method: "POST", path: "/v1/login/passkey/options", handler: a.beginPasskeyLogin},
		{method: "POST", path: "/v1/login/passkey", handler: a.loginWithPasskey},
		{method: "POST", path: "/v1/refresh", handler: a.refresh},
		{method: "POST", path: "/v1/logout", auth: authUser, handler: a.logout},
		{method: "POST", path: "/v1/logout/all", auth: authUser, handler: a.logoutEverywhere},
		{method: "GET", path: "/v1/sessions", auth: authUser, handler: a.listSessions},
		{method: "DELETE", path: "/v1/sessions/{sessionId}", auth: authUser, handler: a.endSession},
		{method: "POST", path: "/v1/password/forgot", handler: a.forgotPassword},
		{method: "POST", path: "/v1/password/forgot/resend", handler: a.resendPasswordReset},
		{method: "POST", path: "/v1/password/reset", handler: a.resetPassword},
		{method: "PUT", path: "/v1/password", auth: authUser, handler: a.changePassword},
		{method: "POST", path: "/v1/password/confirm", auth: authUser, handler: a.confirmPasswordChange},
		{method: "POST", path: "/v1/totp", auth: authUser, handler: a.beginTOTP},
		{method: "POST", path: "/v1/totp/confirm", auth: authUser, handler: a.confirmTOTP},
		{method: "DELETE", path: "/v1/totp", auth: authUser, handler: a.removeTOTP},
		{method: "POST", path: "/v1/passkeys/options", auth: authUser, handler: a.beginPasskeyRegistration},
		{method: "POST", path: "/v1/passkeys", auth: authUser, handler: a.registerPasskey},
		{method: "GET", path: "/v1/passkeys", auth: authUser, handler: a.listPasskeys},
		{method: "DELETE", path: "/v1/passkeys/{passkeyId}", auth: authUser, handler: a.removePasskey},
		{method: "GET", path: "/v1/me", auth: authUser, handler: a.me},
		{method: "GET", path: "/v1/me/export", auth: authUser, handler: a.exportMe},
		{method: "DELETE", path: "/v1/me", auth: authUser, handler: a.eraseMe},
		{method: "PATCH", path: "/v1/profile", auth: authUser, handler: a.updateProfile},
		{method: "POST", path: "/v1/compliance", auth: authUser, handler: a.submitCompliance},
		{method: "POST", path: "/v1/kyc", auth: authUser, upload: true, handler: a.submitKYC},
		{method: "GET", path: "/v1/kyc", auth: authUser, handler: a.kycStatus},
		{method: "POST", path: "/v1/integrator/kyc-decisions", auth: authIntegrator, handler: a.kycDecision},
		{method: "POST", path: "/v1/integrator/passkey-challenges", auth: authIntegrator, handler: a.passkeyChallenge},
		{method: "POST", path: "/v1/integrator/individual-accounts", auth: authIntegrator, upload: true, handler: a.individualAccount},
		{method: "POST", path: "/v1/providers/{provider}/webhook", handler: a.providerWebhook},
		{method: "GET", path: "/v1/accounts", auth: authUser, handler: a.listAccounts},
		{method: "POST", path: "/v1/accounts", auth: authUser, handler: a.createAccount},
		{method: "GET", path: "/v1/accounts/{accountId}/portfolios", auth: authUser, handler: a.listPortfolios},
		{method: "POST", path: "/v1/portfolios", auth: authUser, handler: a.createPortfolio},
		{method: "GET", path: "/v1/operator/users", auth: authOperator, handler: a.searchUsers},
		{method: "POST", path: "/v1/operator/users/{userId}/lock", auth: authOperator, handler: a.lockUser},
		{method: "POST", path: "/v1/operator/users/{userId}/unlock", auth: authOperator, handler: a.unlockUser},
		{method: "POST", path: "/v1/operator/users/{userId}/deactivate", auth: authOperator, handler: a.deactivateUser},
		{method: "POST", path: "/v1/operator/users/{userId}/reactivate", auth: authOperator, handler: a.reactivateUser},
		{method: "PUT", path: "/v1/operator/users/{userId}/roles", auth: authOperator, handler: a.setRoles},
		{method: "PUT", path: "/v1/operator/users/{userId}/metadata", auth: authOperator, handler: a.setMetadata},
		{method: "GET", path: "/v1/operator/users/{userId}/events", auth: authOperator, handler: a.userEvents},
		{method: "POST", path: "/v1/operator/accounts", auth: authOperator, handler: a.createAccountFor},
		{method: "GET", path: "/v1/operator/webhooks/failed", auth: authOperator, handler: a.failedDeliveries},
		{method: "POST", path: "/v1/operator/webhooks/{endpointId}/deliveries/{seq}/replay", auth: authOperator, handler: a.replayDelivery},
		{method: "GET", path: "/.well-known/jwks.json", handler: a.jwks},
		{method: "GET", path: "/openapi.yaml", handler: a.openAPI},
		{method: "GET", path: "/healthz", handler: a.healthz},
		{method: "GET", path: "/readyz", handler: a.readyz},
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
	code := "rate_limited"
	if oe := onboardkit.AsError(err); oe != nil {
		code = string(oe.Code)
	}
	a.refused.Add(r.Context(), 1, metric.WithAttributes(attribute.String("route", r.Pattern), attribute.String("code", code)))
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
