package httpapi

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/ratelimit"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage/memory"
)

func TestProblemTable(t *testing.T) {
	want := map[onboardkit.Code]int{
		"validation": 422, "password_policy": 422, "invalid_code": 400, "code_expired": 410, "too_many_attempts": 429,
		"resend_too_soon": 429, "send_limit": 429, "send_failed": 502, "identifier_taken": 409, "invalid_credentials": 401,
		"account_locked": 423, "kyc_not_active": 403, "invalid_transition": 409, "invalid_refresh_token": 401,
		"invalid_token": 401, "recent_auth_required": 403, "not_found": 404, "conflict": 409, "name_taken": 409,
		"limit_reached": 409, "rate_limited": 429, "invalid_signature": 401, "unavailable": 503, "internal": 500,
		"passkey_invalid": 400, "passkey_cloned": 409, "passkeys_disabled": 404,
	}
	// Every code of the module (onboardkit.Codes) has a row of the table
	// and the status this test expects: a code added to the root package
	// without an HTTP row fails here instead of answering 500.
	for _, c := range onboardkit.Codes() {
		_, ok := problems[c]
		assert.True(t, ok, "code %s has no row", c)
		assert.Contains(t, want, c, "code %s has no expected status in this test", c)
		assert.Equal(t, want[c], StatusFor(c), "code %s", c)
	}
	assert.Len(t, want, len(onboardkit.Codes()))
	assert.Equal(t, 500, StatusFor("nope"))

	n := 3
	p, retry := ProblemFor(&onboardkit.Error{Code: onboardkit.CodeInvalidCode, Message: "The code is not valid.", AttemptsRemaining: &n,
		Fields: []onboardkit.FieldError{{Field: "code", Code: "invalid_code", Message: "x"}}})
	assert.Equal(t, Problem{Type: "https://onboardkit.dev/problems/invalid-code", Title: "Invalid code", Status: 400,
		Detail: "The code is not valid.", Code: "invalid_code", AttemptsRemaining: &n,
		Errors: []onboardkit.FieldError{{Field: "code", Code: "invalid_code", Message: "x"}}}, p)
	assert.Zero(t, retry)

	// Wrapped errors are found; anything else is an opaque 500.
	p, _ = ProblemFor(fmt.Errorf("ctx: %w", onboardkit.CodeNameTaken.Err()))
	assert.Equal(t, "https://onboardkit.dev/problems/name-taken", p.Type)
	// A bare sentinel returned as an error answers its own problem too.
	p, _ = ProblemFor(fmt.Errorf("ctx: %w", onboardkit.ErrNameTaken))
	assert.Equal(t, "https://onboardkit.dev/problems/name-taken", p.Type)
	assert.Equal(t, onboardkit.CodeNameTaken.Message(), p.Detail)
	p, _ = ProblemFor(errors.New("pq: password=hunter2 connection refused"))
	assert.Equal(t, Problem{Type: "https://onboardkit.dev/problems/internal", Title: "Internal error", Status: 500,
		Detail: "An internal error occurred.", Code: "internal"}, p)
	p, _ = ProblemFor(&onboardkit.Error{Code: onboardkit.CodeInternal, Message: "leaky detail"})
	assert.NotContains(t, p.Detail, "leaky")
	p, _ = ProblemFor(&onboardkit.Error{Code: "made_up", Message: "leaky detail"})
	assert.Equal(t, 500, p.Status)
	assert.NotContains(t, p.Detail, "leaky")

	_, retry = ProblemFor(&onboardkit.Error{Code: onboardkit.CodeResendTooSoon, RetryAfter: 1500 * time.Millisecond})
	assert.Equal(t, 1500*time.Millisecond, retry)
	assert.Equal(t, 2, retryAfterSeconds(1500*time.Millisecond))
	assert.Equal(t, 1, retryAfterSeconds(0))
	assert.Equal(t, 30, retryAfterSeconds(30*time.Second))

	rec := httptest.NewRecorder()
	WriteError(rec, &onboardkit.Error{Code: onboardkit.CodeSendLimit})
	assert.Equal(t, "1", rec.Header().Get("Retry-After"), "429 always carries Retry-After")
	assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
}

func TestRateLimitDefaults(t *testing.T) {
	rl := RateLimits{}.withDefaults()
	assert.Equal(t, DefaultRateLimits(), rl)
	mem := ratelimit.NewMemory()
	ls := newLimits(RateLimits{LoginPerIP: -1}, mem)
	assert.Zero(t, ls.login, "a negative limit is off")
	assert.Equal(t, ratelimit.Limit{Rate: 30, Period: 5 * time.Minute}, ls.signUp.limit)
	assert.Zero(t, newLimits(RateLimits{Disabled: true}, mem).signUp)
	ok, err := ls.decide(context.Background(), ls.login, "1.2.3.4", 1)
	assert.True(t, ok)
	assert.NoError(t, err)
}

// failingLimiter cannot decide.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string, ratelimit.Limit, int) (ratelimit.Result, error) {
	return ratelimit.Result{}, errors.New("redis: connection refused")
}

func TestLimiterFailureRefuses(t *testing.T) {
	ls := newLimits(RateLimits{}, failingLimiter{})
	ok, err := ls.decide(context.Background(), ls.signUp, "1.2.3.4", 1)
	assert.False(t, ok)
	assert.ErrorIs(t, err, onboardkit.ErrUnavailable, "no decision: refused, retry later")
}

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct", "203.0.113.7:5555", nil, "203.0.113.7"},
		{"untrusted peer ignores XFF", "203.0.113.7:5555", []string{"1.2.3.4"}, "203.0.113.7"},
		{"trusted peer", "10.1.2.3:80", []string{"198.51.100.9"}, "198.51.100.9"},
		{"spoofed left entries ignored", "10.1.2.3:80", []string{"6.6.6.6, 198.51.100.9"}, "198.51.100.9"},
		{"chain of proxies", "10.1.2.3:80", []string{"198.51.100.9, 10.9.9.9"}, "198.51.100.9"},
		{"several headers", "10.1.2.3:80", []string{"6.6.6.6", "198.51.100.9, 10.2.2.2"}, "198.51.100.9"},
		{"all trusted", "10.1.2.3:80", []string{"10.4.4.4"}, "10.4.4.4"},
		{"garbage stops the walk", "10.1.2.3:80", []string{"198.51.100.9, nonsense"}, "10.1.2.3"},
		{"no header", "10.1.2.3:80", nil, "10.1.2.3"},
		{"ipv6 peer", "[::1]:80", []string{"2001:db8::5"}, "2001:db8::5"},
		{"mapped v4", "[::ffff:203.0.113.7]:80", nil, "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			assert.Equal(t, tt.want, clientIP(r, trusted))
		})
	}
}

func TestMatchPattern(t *testing.T) {
	for _, tt := range []struct {
		pattern, path string
		want          bool
	}{
		{"/v1/sessions/{sessionId}", "/v1/sessions/abc", true},
		{"/v1/sessions/{sessionId}", "/v1/sessions/", false},
		{"/v1/sessions/{sessionId}", "/v1/sessions", false},
		{"/v1/sessions/{sessionId}", "/v1/sessions/a/b", false},
		{"/v1/operator/users/{userId}/lock", "/v1/operator/users/u1/lock", true},
		{"/v1/operator/users/{userId}/lock", "/v1/operator/users/u1/unlock", false},
		{"/v1/me", "/v1/me", true},
		{"/v1/me", "/v1/me/", false},
	} {
		assert.Equal(t, tt.want, matchPattern(tt.pattern, tt.path), "%s ~ %s", tt.pattern, tt.path)
	}
}

// TestSharedKeysWarned: a key in both allow-lists is said at start.
func TestSharedKeysWarned(t *testing.T) {
	k1, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	k2, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	assert.Zero(t, sharedKeys([]*ecdsa.PublicKey{&k1.PublicKey}, []*ecdsa.PublicKey{&k2.PublicKey}))
	assert.Equal(t, 1, sharedKeys([]*ecdsa.PublicKey{&k1.PublicKey, &k2.PublicKey}, []*ecdsa.PublicKey{&k2.PublicKey}))

	var logs bytes.Buffer
	svc := newTestAPI(t, &logs).svc
	newAPI(svc, Config{IntegratorKeys: []*ecdsa.PublicKey{&k1.PublicKey}, OperatorKeys: []*ecdsa.PublicKey{&k1.PublicKey}})
	assert.Contains(t, logs.String(), "both integrator and operator keys")
}

func newTestAPI(t *testing.T, logs *bytes.Buffer) *api {
	t.Helper()
	key, err := onboarding.NewSigningKey("k", nil)
	require.NoError(t, err)
	ring, err := seal.NewEphemeralKeyring("k")
	require.NoError(t, err)
	svc, err := onboarding.New(onboarding.Config{
		Store: memory.New(), SMS: discardSender{}, Email: discardSender{}, Keyring: ring,
		Secret: bytes.Repeat([]byte{7}, 32), Tokens: onboarding.TokenConfig{SigningKey: key},
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	require.NoError(t, err)
	return newAPI(svc, Config{})
}

type discardSender struct{}

func (discardSender) Send(context.Context, otp.Message) error { return nil }

func TestPanicRecovered(t *testing.T) {
	var logs bytes.Buffer
	a := newTestAPI(t, &logs)
	a.mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("secret-value-123") })
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	var p Problem
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	assert.Equal(t, onboardkit.CodeInternal, p.Code)
	assert.NotContains(t, rec.Body.String(), "secret-value")
	assert.NotContains(t, logs.String(), "secret-value", "the panic value is not logged")
	assert.Contains(t, logs.String(), `"route":"GET /boom"`)
	assert.Contains(t, logs.String(), `"status":500`)
}

// loadOpenAPI loads the served document with kin-openapi and validates it
// (OpenAPI 3.1: schemas as JSON Schema 2020-12, examples against their
// schemas).
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDocument)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(loader.Context))
	require.True(t, doc.IsOpenAPI31OrLater())
	return doc
}

// openAPIPaths lists the "METHOD /path" operations of the document and
// the JSON request example of each operation that has one.
func openAPIPaths(t *testing.T, doc *openapi3.T) (routes []string, examples map[string]string) {
	t.Helper()
	examples = map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			rt := method + " " + path
			routes = append(routes, rt)
			if op.RequestBody == nil {
				continue
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			require.NotNil(t, mt, "%s: the request body is not application/json", rt)
			if mt.Example != nil {
				b, err := json.Marshal(mt.Example)
				require.NoError(t, err, rt)
				examples[rt] = string(b)
			}
		}
	}
	return routes, examples
}

// TestContractMatchesRoutes checks that the route table of docs/API.md
// lists exactly the routes the handler serves.
func TestContractMatchesRoutes(t *testing.T) {
	b, err := os.ReadFile("../docs/API.md")
	require.NoError(t, err)
	route := regexp.MustCompile("^\\| `((?:GET|POST|PUT|PATCH|DELETE) /[^`]*)`")
	var documented []string
	for _, line := range strings.Split(string(b), "\n") {
		if m := route.FindStringSubmatch(line); m != nil {
			documented = append(documented, m[1])
		}
	}
	served := Routes()
	sort.Strings(documented)
	sort.Strings(served)
	assert.Equal(t, served, documented, "docs/API.md lists every served route and no other")
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	documented, examples := openAPIPaths(t, loadOpenAPI(t))
	served := Routes()
	sort.Strings(documented)
	sort.Strings(served)
	assert.Equal(t, served, documented, "every served route is documented and vice versa")

	// Every route with a body has a request example, which decodes into
	// the handler's request type with unknown fields refused.
	bodies := map[string]any{
		"POST /v1/signup":                             &onboarding.SignUpRequest{},
		"POST /v1/phone/confirm":                      &confirmRequest{},
		"POST /v1/phone/resend":                       &resendRequest{},
		"PUT /v1/email":                               &emailRequest{},
		"POST /v1/email/confirm":                      &confirmRequest{},
		"POST /v1/email/resend":                       &resendRequest{},
		"PUT /v1/phone":                               &phoneRequest{},
		"POST /v1/phone/verify":                       &confirmRequest{},
		"POST /v1/login":                              &onboarding.LoginRequest{},
		"POST /v1/otp":                                &sessionCodeRequest{},
		"POST /v1/login/resend":                       &sessionRequest{},
		"POST /v1/login/recovery":                     &recoveryRequest{},
		"POST /v1/refresh":                            &refreshRequest{},
		"POST /v1/logout":                             &refreshRequest{},
		"POST /v1/logout/all":                         &noBody{},
		"POST /v1/password/forgot":                    &forgotRequest{},
		"POST /v1/password/forgot/resend":             &sessionRequest{},
		"POST /v1/password/reset":                     &resetRequest{},
		"PUT /v1/password":                            &changePasswordRequest{},
		"POST /v1/password/confirm":                   &sessionCodeRequest{},
		"POST /v1/totp":                               &noBody{},
		"POST /v1/totp/confirm":                       &codeRequest{},
		"POST /v1/passkeys/options":                   &noBody{},
		"POST /v1/passkeys":                           &onboarding.PasskeyRegistration{},
		"POST /v1/login/passkey/assert":               &sessionCredentialRequest{},
		"POST /v1/login/passkey/options":              &noBody{},
		"POST /v1/login/passkey":                      &ceremonyCredentialRequest{},
		"POST /v1/integrator/passkey-challenges":      &onboarding.PasskeyChallengeRequest{},
		"PATCH /v1/profile":                           &kyc.ProfilePatch{},
		"POST /v1/compliance":                         &kyc.Compliance{},
		"POST /v1/kyc":                                &kyc.Submission{},
		"POST /v1/integrator/kyc-decisions":           &decisionRequest{},
		"POST /v1/integrator/individual-accounts":     &kyc.IndividualAccountRequest{},
		"POST /v1/accounts":                           &createAccountRequest{},
		"POST /v1/portfolios":                         &onboarding.PortfolioRequest{},
		"POST /v1/operator/users/{userId}/lock":       &noBody{},
		"POST /v1/operator/users/{userId}/unlock":     &noBody{},
		"POST /v1/operator/users/{userId}/deactivate": &noBody{},
		"POST /v1/operator/users/{userId}/reactivate": &noBody{},
		"PUT /v1/operator/users/{userId}/roles":       &rolesRequest{},
		"PUT /v1/operator/users/{userId}/metadata":    &metadataRequest{},
		"POST /v1/operator/accounts":                  &operatorAccountRequest{},
		"POST /v1/providers/{provider}/webhook":       &map[string]any{}, // the provider's own shape
		"POST /v1/operator/webhooks/{endpointId}/deliveries/{seq}/replay": &noBody{},
	}
	for _, rt := range served {
		if strings.HasPrefix(rt, "GET ") || strings.HasPrefix(rt, "DELETE ") { // no body
			assert.NotContains(t, examples, rt)
			continue
		}
		dst, ok := bodies[rt]
		require.True(t, ok, "no request type for %s", rt)
		ex, ok := examples[rt]
		require.True(t, ok, "no request example for %s", rt)
		r := httptest.NewRequest("POST", "/", strings.NewReader(ex))
		r.Header.Set("Content-Type", "application/json")
		require.NoError(t, decodeJSON(r, dst, false), "example of %s: %s", rt, ex)
		body := reflect.ValueOf(dst).Elem()
		assert.False(t, body.IsZero() && body.NumField() > 0, "example of %s is empty", rt)
	}

	// The examples of the validated bodies also pass the kyc validator.
	v, err := kyc.NewValidator(kyc.Config{}, onboardkit.Runtime{Clock: onboardkit.ClockFunc(func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) })})
	require.NoError(t, err)
	patch := *bodies["PATCH /v1/profile"].(*kyc.ProfilePatch)
	assert.NoError(t, v.ValidateProfile(patch.Apply(kyc.Profile{})), "the profile example is a whole profile")
	assert.NoError(t, v.ValidateCompliance(*bodies["POST /v1/compliance"].(*kyc.Compliance)))
	assert.NoError(t, v.ValidateIndividualAccount(*bodies["POST /v1/integrator/individual-accounts"].(*kyc.IndividualAccountRequest)))
	assert.NoError(t, v.ValidateSubmission(*bodies["POST /v1/kyc"].(*kyc.Submission)))
	assert.NoError(t, bodies["POST /v1/integrator/kyc-decisions"].(*decisionRequest).Decision.Validate())
}

// TestOpenAPIResponseExamplesAreJSON: every example of the document (of a
// request, a response, a parameter or a schema) is JSON that its schema
// accepts (doc.Validate checks the latter too).
func TestOpenAPIResponseExamplesAreJSON(t *testing.T) {
	doc := loadOpenAPI(t)
	n := 0
	check := func(where string, schema *openapi3.SchemaRef, ex any) {
		t.Helper()
		if ex == nil {
			return
		}
		n++
		b, err := json.Marshal(ex)
		require.NoError(t, err, "%s: the example is not JSON", where)
		var v any
		require.NoError(t, json.Unmarshal(b, &v))
		if schema != nil && schema.Value != nil {
			assert.NoError(t, schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.EnableFormatValidation()), "%s: %s", where, b)
		}
	}
	content := func(where string, c openapi3.Content) {
		for mt, m := range c {
			check(where+" "+mt, m.Schema, m.Example)
			for name, ex := range m.Examples {
				check(where+" "+mt+" "+name, m.Schema, ex.Value.Value)
			}
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.RequestBody != nil {
				content(where+" request", op.RequestBody.Value.Content)
			}
			for status, r := range op.Responses.Map() {
				content(where+" "+status, r.Value.Content)
			}
		}
	}
	for name, r := range doc.Components.Responses {
		content("responses/"+name, r.Value.Content)
	}
	for name, s := range doc.Components.Schemas {
		check("schemas/"+name, s, s.Value.Example)
	}
	assert.Greater(t, n, 40)
}

// TestOpenAPIDocumentsHandler checks the document against the route
// table: each operation has an operationId, tags and a summary; names the
// security of its route (public ones `security: []` under the global
// bearer requirement, [integrator] and [operator] ones their signature
// schemes); and lists the answers the handler gives whatever the route:
// 405 (another method), 500, 413 with a body (New caps the body of every
// method but GET), 401 where credentials are checked, 503 where the store,
// the rate limiter or the replay cache is consulted. Every enum has its
// type, servers are set, the licence has its SPDX identifier.
func TestOpenAPIDocumentsHandler(t *testing.T) {
	doc := loadOpenAPI(t)
	require.NotEmpty(t, doc.Servers, "servers")
	require.NotNil(t, doc.Info.License)
	assert.Equal(t, "Apache-2.0", doc.Info.License.Identifier)
	require.Equal(t, openapi3.SecurityRequirements{{"bearerAuth": []string{}}}, doc.Security, "the global requirement")

	ref := func(op *openapi3.Operation, status int) string {
		r := op.Responses.Status(status)
		if r == nil {
			return ""
		}
		return r.Ref
	}
	const responses = "#/components/responses/"
	a := &api{}
	bodies := 0
	for _, rt := range a.routeTable() {
		name := rt.method + " " + rt.path
		item := doc.Paths.Value(rt.path)
		require.NotNil(t, item, name)
		op := item.GetOperation(rt.method)
		require.NotNil(t, op, name)
		assert.NotEmpty(t, op.OperationID, "%s: operationId", name)
		assert.NotEmpty(t, op.Tags, "%s: tags", name)
		assert.NotEmpty(t, op.Summary, "%s: summary", name)
		require.NotNil(t, op.Security, "%s: security is explicit", name)
		security := *op.Security
		switch rt.auth {
		case authNone:
			assert.Empty(t, security, "%s is public: security: []", name)
		case authUser:
			assert.Equal(t, openapi3.SecurityRequirements{{"bearerAuth": []string{}}}, security, name)
			assert.Equal(t, responses+"Unauthorized", ref(op, 401), name)
		case authIntegrator:
			assert.Equal(t, openapi3.SecurityRequirements{{"integratorPubkey": []string{}, "integratorTimestamp": []string{}, "integratorSignature": []string{}}}, security, name)
			assert.Equal(t, responses+"SignatureRefused", ref(op, 401), name)
		case authOperator:
			assert.Equal(t, openapi3.SecurityRequirements{{"operatorPubkey": []string{}, "operatorTimestamp": []string{}, "operatorSignature": []string{}}}, security, name)
			assert.Equal(t, responses+"SignatureRefused", ref(op, 401), name)
		}
		assert.Equal(t, responses+"MethodNotAllowed", ref(op, 405), name)
		assert.Equal(t, responses+"InternalError", ref(op, 500), name)
		if rt.method != http.MethodGet {
			assert.Equal(t, responses+"ContentTooLarge", ref(op, 413), name)
		}
		if rt.auth != authNone {
			assert.Equal(t, responses+"ServiceUnavailable", ref(op, 503), name)
		}
		if op.RequestBody != nil && !strings.HasPrefix(rt.path, "/v1/providers/") {
			// A JSON body, decoded strictly.
			bodies++
			assert.Equal(t, responses+"BadRequest", ref(op, 400), name)
			assert.Equal(t, responses+"UnsupportedMediaType", ref(op, 415), name)
		}
		for status, r := range op.Responses.Map() {
			if status[0] == '4' || status[0] == '5' {
				assert.NotEmpty(t, r.Ref, "%s %s: a shared problem response", name, status)
			}
		}
	}
	assert.Greater(t, bodies, 30)

	// Every enum and const says its type (generators make untyped ones
	// interface{}).
	var walk func(where string, s *openapi3.SchemaRef)
	seen := map[*openapi3.Schema]bool{}
	walk = func(where string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		v := s.Value
		seen[v] = true
		if len(v.Enum) > 0 || v.Const != nil {
			assert.NotEmpty(t, v.Type.Slice(), "%s: an enum or const without its type", where)
		}
		for name, p := range v.Properties {
			walk(where+"."+name, p)
		}
		walk(where+"[]", v.Items)
		if v.AdditionalProperties.Schema != nil {
			walk(where+"{}", v.AdditionalProperties.Schema)
		}
		for i, x := range append(append(append(openapi3.SchemaRefs{}, v.OneOf...), v.AnyOf...), v.AllOf...) {
			walk(fmt.Sprintf("%s|%d", where, i), x)
		}
	}
	for name, s := range doc.Components.Schemas {
		walk(name, s)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, p := range op.Parameters {
				walk(method+" "+path+" "+p.Value.Name, p.Value.Schema)
			}
			for status, r := range op.Responses.Map() {
				for _, mt := range r.Value.Content {
					walk(method+" "+path+" "+status, mt.Schema)
				}
			}
			if op.RequestBody != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(method+" "+path+" request", mt.Schema)
				}
			}
		}
	}
	assert.Greater(t, len(seen), 50)
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"phoneNumber":"+33612345678","password":"x"}`, `{"a":1}`, `{} {}`, `[`, `null`, `{"password":1}`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var dst onboarding.SignUpRequest
		err := decodeJSON(r, &dst, false)
		if err == nil {
			return
		}
		var oe *onboardkit.Error
		if !errors.As(err, &oe) {
			t.Fatalf("untyped error %T %v", err, err)
		}
		p, _ := ProblemFor(err)
		if p.Status != 400 && p.Status != 413 {
			t.Fatalf("status %d for %q", p.Status, body)
		}
	})
}
