package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/ratelimit"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// The served OpenAPI document checks every exchange of the HTTP tests:
// env.send hands each request and its answer to checkOpenAPI, which
// validates them with kin-openapi's openapi3filter (JSON Schema 2020-12
// for this 3.1 document, formats asserted). The answer must have a
// documented status (problems included), its documented headers and
// content type, and a body of its schema. A request the document refuses
// (an error-path test sends many on purpose) must not be answered with a
// success.

// openAPISpec is the document loaded and validated once per test binary.
type openAPISpec struct {
	doc    *openapi3.T
	router routers.Router
}

var loadOpenAPISpec = sync.OnceValues(func() (*openAPISpec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpapi.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	return &openAPISpec{doc: doc, router: router}, nil
})

func openAPISpecFor(t testing.TB) *openAPISpec {
	t.Helper()
	s, err := loadOpenAPISpec()
	require.NoError(t, err, "the served OpenAPI document")
	return s
}

// requireCredentials is the AuthenticationFunc of the request validation:
// the handler checks credentials, so this only checks that the request
// carries those of the scheme (a bearer Authorization header, the
// signature headers). A secured operation answered with a success to a
// request without them is a document that forgot `security: []`.
func requireCredentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	switch s := in.SecurityScheme; s.Type {
	case "http":
		scheme, _, _ := strings.Cut(req.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, s.Scheme) {
			return fmt.Errorf("no %s Authorization header", s.Scheme)
		}
	case "apiKey":
		if req.Header.Get(s.Name) == "" {
			return fmt.Errorf("no %s header", s.Name)
		}
	default:
		return fmt.Errorf("unexpected security scheme type %q", s.Type)
	}
	return nil
}

func validationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:      requireCredentials,
		IncludeResponseStatus:   true, // an undocumented status is an error
		MultiError:              true,
		SkipSettingDefaults:     true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()},
	}
}

// openAPICheck captures what req sends, for checkOpenAPI to validate
// once it is answered.
func (e *env) openAPICheck(req *http.Request) func(*resp) {
	e.t.Helper()
	body, known := sentBody(e.t, req)
	return func(r *resp) {
		e.t.Helper()
		checkOpenAPI(e.t, req, body, known, r)
	}
}

// sentBody returns a copy of the body req sends; known is false when it
// cannot be read again (no GetBody).
func sentBody(t testing.TB, req *http.Request) (body []byte, known bool) {
	t.Helper()
	if req.Body == nil || req.Body == http.NoBody {
		return nil, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	rc, err := req.GetBody()
	require.NoError(t, err)
	defer rc.Close()
	body, err = io.ReadAll(rc)
	require.NoError(t, err)
	return body, true
}

// checkOpenAPI validates one exchange against the document, reporting
// every mismatch with t.Errorf.
func checkOpenAPI(t testing.TB, sent *http.Request, body []byte, bodyKnown bool, r *resp) {
	t.Helper()
	spec := openAPISpecFor(t)
	ctx := context.Background()
	req := sent.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	where := fmt.Sprintf("%s %s answered %d", req.Method, req.URL.RequestURI(), r.status)

	if r.status == http.StatusNoContent && len(r.body) > 0 {
		t.Errorf("OpenAPI: %s with a body: %q", where, r.body)
	}
	route, params, err := spec.router.FindRoute(req)
	methodNotServed := false
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		// Another method of a documented path (HEAD is GET without its
		// body): the path's operations document the 405 answer.
		methodNotServed = req.Method != http.MethodHead
		route, params = spec.anyOperation(req)
		if route == nil {
			t.Errorf("OpenAPI: %s: no operation of the path found", where)
			return
		}
	case err != nil:
		// An undocumented path: a 404 problem.
		if r.status != http.StatusNotFound {
			t.Errorf("OpenAPI: %s: the path is not documented (%v)", where, err)
			return
		}
		spec.checkProblem(t, where, r)
		return
	}
	if methodNotServed && r.status != http.StatusMethodNotAllowed {
		t.Errorf("OpenAPI: %s: the method is not documented for the path", where)
	}

	opts := validationOptions()
	opts.ExcludeRequestBody = !bodyKnown
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if !methodNotServed {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil && r.status < 400 {
			t.Errorf("OpenAPI: %s, yet the document refuses the request: %v\nrequest body: %s", where, err, clip(body))
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 r.status,
		Header:                 r.header,
		Body:                   io.NopCloser(bytes.NewReader(r.body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("OpenAPI: %s (operation %s), the answer does not match the document: %v\nanswer body: %s",
			where, route.Operation.OperationID, err, clip(r.body))
	}
}

// anyOperation finds an operation of the path of req under another
// method (GET first: HEAD is served by GET routes).
func (s *openAPISpec) anyOperation(req *http.Request) (*routers.Route, map[string]string) {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		other := req.Clone(req.Context())
		other.Method = m
		if route, params, err := s.router.FindRoute(other); err == nil {
			return route, params
		}
	}
	return nil, nil
}

// checkProblem checks that r is an application/problem+json answer of the
// Problem schema.
func (s *openAPISpec) checkProblem(t testing.TB, where string, r *resp) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("OpenAPI: %s with Content-Type %q, not a problem", where, ct)
		return
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Errorf("OpenAPI: %s: %v", where, err)
		return
	}
	schema := s.doc.Components.Schemas["Problem"].Value
	if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.EnableFormatValidation()); err != nil {
		t.Errorf("OpenAPI: %s: not a Problem: %v", where, err)
	}
}

// clip shortens a body for a failure message.
func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// recordingTB records the failures checkOpenAPI reports.
type recordingTB struct {
	testing.TB
	errs []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestOpenAPICheckCatches: the check of env.send reports exchanges the
// document does not allow.
func TestOpenAPICheckCatches(t *testing.T) {
	spec := openAPISpecFor(t)
	require.True(t, spec.doc.IsOpenAPI31OrLater(), "an OpenAPI 3.1 document")
	problem := func(status int, code string) []byte {
		return []byte(fmt.Sprintf(`{"type":"https://onboardkit.dev/problems/x","title":"X","status":%d,"code":%q}`, status, code))
	}
	problemHeader := http.Header{"Content-Type": {"application/problem+json"}}
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	signUp := `{"phoneNumber":"+33612345678","password":"correct-horse-7-battery"}`
	for _, tc := range []struct {
		name, method, path, body string
		res                      resp
		want                     string // "" when the exchange is allowed
	}{
		{"allowed", "POST", "/v1/signup", signUp, resp{status: 415, header: problemHeader, body: problem(415, "unsupported_media_type")}, ""},
		{"undocumented status", "POST", "/v1/signup", signUp, resp{status: 418, header: problemHeader, body: problem(418, "teapot")}, "status is not supported"},
		{"body off its schema", "GET", "/healthz", "", resp{status: 200, header: jsonHeader, body: []byte(`{"status":"sleeping"}`)}, "doesn't match schema"},
		{"problem off its schema", "POST", "/v1/signup", signUp, resp{status: 409, header: problemHeader, body: []byte(`{"code":"identifier_taken"}`)}, "doesn't match schema"},
		{"wrong content type", "POST", "/v1/signup", signUp, resp{status: 409, header: jsonHeader, body: problem(409, "identifier_taken")}, "Content-Type"},
		{"no Retry-After", "POST", "/v1/signup", signUp, resp{status: 429, header: problemHeader, body: problem(429, "rate_limited")}, "Retry-After"},
		{"refused request answered", "POST", "/v1/signup", `{"password":1}`, resp{status: 201, header: jsonHeader, body: []byte(`{}`)}, "refuses the request"},
		{"success without credentials", "GET", "/v1/me", "", resp{status: 200, header: jsonHeader, body: []byte(`{}`)}, "refuses the request"},
		{"undocumented path", "GET", "/v2/nothing", "", resp{status: 200, header: jsonHeader, body: []byte(`{}`)}, "not documented"},
		{"405 on a served method", "PATCH", "/v1/signup", "", resp{status: 200, header: jsonHeader, body: []byte(`{}`)}, "not documented for the path"},
		{"204 with a body", "DELETE", "/v1/me", "", resp{status: 204, body: []byte(`{}`)}, "with a body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, "http://127.0.0.1:1"+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tc.path == "/v1/me" && tc.method == "DELETE" {
				req.Header.Set("Authorization", "Bearer x")
			}
			rec := &recordingTB{TB: t}
			res := tc.res
			checkOpenAPI(rec, req, []byte(tc.body), true, &res)
			if tc.want == "" {
				require.Empty(t, rec.errs)
				return
			}
			require.NotEmpty(t, rec.errs, "the check lets it through")
			require.Contains(t, strings.Join(rec.errs, "\n"), tc.want)
		})
	}
}

// genericRoute is a served route with its path parameters filled in, the
// request example of its operation and how it authenticates.
type genericRoute struct {
	method, pattern, path string
	op                    *openapi3.Operation
	example               []byte // nil without a request body
	auth                  string // "user", "integrator", "operator" or ""
}

// genericRoutes lists every served route for e, the user's id in the
// operator paths.
func genericRoutes(t *testing.T, userID string) []genericRoute {
	t.Helper()
	spec := openAPISpecFor(t)
	fill := strings.NewReplacer("{sessionId}", "s1", "{userId}", userID, "{accountId}", "a1",
		"{provider}", "sumsub", "{endpointId}", "ep-1", "{seq}", "1")
	var out []genericRoute
	for _, rt := range httpapi.Routes() {
		method, pattern, _ := strings.Cut(rt, " ")
		item := spec.doc.Paths.Value(pattern)
		require.NotNil(t, item, "%s is not documented", rt)
		op := item.GetOperation(method)
		require.NotNil(t, op, "%s is not documented", rt)
		g := genericRoute{method: method, pattern: pattern, path: fill.Replace(pattern), op: op}
		security := spec.doc.Security
		if op.Security != nil {
			security = *op.Security
		}
		for _, req := range security {
			switch {
			case req["bearerAuth"] != nil:
				g.auth = "user"
			case req["integratorSignature"] != nil:
				g.auth = "integrator"
			case req["operatorSignature"] != nil:
				g.auth = "operator"
			}
		}
		if op.RequestBody != nil {
			mt := op.RequestBody.Value.Content.Get("application/json")
			require.NotNil(t, mt, "%s: no application/json request body", rt)
			ex, err := json.Marshal(mt.Example)
			require.NoError(t, err)
			g.example = ex
		}
		out = append(out, g)
	}
	// The routes that end the user's sessions, or the user, come last.
	last := []string{"POST /v1/logout", "POST /v1/logout/all", "DELETE /v1/me"}
	slices.SortStableFunc(out, func(a, b genericRoute) int {
		return cmpBool(slices.Contains(last, a.method+" "+a.pattern), slices.Contains(last, b.method+" "+b.pattern))
	})
	return out
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// noWebhooks is a webhook deliverer without deliveries.
type noWebhooks struct{}

func (noWebhooks) Failed(context.Context, string, int64, int) ([]*storage.Delivery, error) {
	return nil, nil
}

func (noWebhooks) Replay(context.Context, string, int64) error { return storage.ErrNotFound }

// sendAs sends body (nil: none) to g with contentType, authenticated as
// g needs (unless anonymous).
func (e *env) sendAs(g genericRoute, token, contentType string, body []byte, anonymous bool) *resp {
	e.t.Helper()
	var req *http.Request
	if body == nil {
		req = e.request(g.method, g.path, "", nil)
	} else {
		req = e.request(g.method, g.path, "", body)
		req.Header.Set("Content-Type", contentType)
	}
	if !anonymous {
		switch g.auth {
		case "user":
			req.Header.Set("Authorization", "Bearer "+token)
		case "integrator":
			require.NoError(e.t, httpapi.Sign(req, e.key, e.clock.Now()))
		case "operator":
			require.NoError(e.t, httpapi.Sign(req, e.opKey, e.clock.Now()))
		}
	}
	return e.send(req)
}

// documents reports whether op documents status.
func documents(op *openapi3.Operation, status int) bool {
	return op.Responses.Status(status) != nil
}

// TestOpenAPIGenericAnswers provokes on every route the answers the
// handler gives whatever the route (another method, a body over the
// limit, not JSON, an unknown member, no credentials, a failing rate
// limiter, replay cache or store); env.send validates each against the
// document, and each status is the one expected.
func TestOpenAPIGenericAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *envConfig) {
		c.opts.MaxBodyBytes, c.opts.MaxUploadBytes = 512, 1024
		c.opts.Webhooks = noWebhooks{}
	})
	u := e.confirmedUser()
	served := map[string][]string{}
	routes := genericRoutes(t, u.id)
	for _, g := range routes {
		served[g.pattern] = append(served[g.pattern], g.method)
	}
	tooLarge := []byte(`{"x":"` + strings.Repeat("a", 2048) + `"}`)
	for _, g := range routes {
		rt := g.method + " " + g.pattern
		for _, m := range []string{"DELETE", "PATCH", "PUT", "POST", "GET"} {
			if !slices.Contains(served[g.pattern], m) {
				r := e.sendAs(genericRoute{method: m, path: g.path}, "", "", nil, true)
				require.Equal(t, http.StatusMethodNotAllowed, r.status, "%s %s: %s", m, g.path, r.body)
				require.NotEmpty(t, r.header.Get("Allow"))
				break
			}
		}
		if g.method != http.MethodGet {
			r := e.sendAs(g, u.access, "application/json", tooLarge, true)
			require.Equal(t, http.StatusRequestEntityTooLarge, r.status, "%s: %s", rt, r.body)
		}
		if g.auth != "" {
			r := e.sendAs(g, u.access, "application/json", g.example, true)
			require.Equal(t, http.StatusUnauthorized, r.status, "%s: %s", rt, r.body)
			require.NotEmpty(t, r.header.Get("WWW-Authenticate"))
		}
		if g.example == nil || strings.HasPrefix(g.pattern, "/v1/providers/") {
			continue // no JSON body to refuse (a provider's body is its own)
		}
		r := e.sendAs(g, u.access, "text/plain", []byte(`{}`), false)
		require.Equal(t, http.StatusUnsupportedMediaType, r.status, "%s: %s", rt, r.body)
		r = e.sendAs(g, u.access, "application/json", []byte(`{"zzUnknownMember":1}`), false)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", rt, r.body)
		require.Equal(t, "malformed_request", string(r.problem(t).Code), rt)
	}
}

// brokenLimiter cannot decide; brokenReplay cannot record.
type (
	brokenLimiter struct{}
	brokenReplay  struct{}
)

func (brokenLimiter) Allow(context.Context, string, ratelimit.Limit, int) (ratelimit.Result, error) {
	return ratelimit.Result{}, errors.New("redis: connection refused")
}

func (brokenReplay) Use(context.Context, [32]byte, time.Time) (bool, error) {
	return false, errors.New("redis: connection refused")
}

// TestOpenAPIRefusals: with a rate limiter that cannot decide, the routes
// it guards answer 503 and document 429; each answers 429 once over its
// limit (those counting identifier_taken answers only after such answers,
// not tried here). With a replay cache that cannot record, the signed
// routes answer 503.
func TestOpenAPIRefusals(t *testing.T) {
	t.Parallel()
	limiter := &switchLimiter{}
	e := newEnv(t, func(c *envConfig) {
		c.opts.Limiter = limiter
		c.opts.Signature.Replay = brokenReplay{}
	})
	u := e.confirmedUser()
	limiter.broken.Store(true)
	var guarded []string
	for _, g := range genericRoutes(t, u.id) {
		r := e.sendAs(g, u.access, "application/json", g.example, false)
		if g.auth == "integrator" || g.auth == "operator" {
			require.Equal(t, http.StatusServiceUnavailable, r.status, "%s %s: %s", g.method, g.pattern, r.body)
		}
		if r.status != http.StatusServiceUnavailable {
			continue
		}
		require.NotEmpty(t, r.header.Get("Retry-After"))
		if g.auth == "" || g.auth == "user" {
			rt := g.method + " " + g.pattern
			require.True(t, documents(g.op, http.StatusTooManyRequests), "%s consults the rate limiter but documents no 429", rt)
			guarded = append(guarded, rt)
		}
	}
	require.GreaterOrEqual(t, len(guarded), 17, "the rate-limited routes")

	e = newEnv(t, func(c *envConfig) {
		c.opts.RateLimits = httpapi.RateLimits{SignUpPerIP: 2, LoginPerIP: 1, ForgotPasswordPerIP: 1, VerifyPerIP: 2,
			ResendPerIP: 1, IdentifierTakenPerIP: 1, IdentifierTakenPerUser: 1}
	})
	u = e.confirmedUser()
	for _, g := range genericRoutes(t, u.id) {
		rt := g.method + " " + g.pattern
		if !slices.Contains(guarded, rt) || rt == "PUT /v1/email" || rt == "PUT /v1/phone" {
			continue
		}
		var r *resp
		for range 3 {
			if r = e.sendAs(g, u.access, "application/json", g.example, false); r.status == http.StatusTooManyRequests {
				break
			}
		}
		require.Equal(t, http.StatusTooManyRequests, r.status, "%s: %s", rt, r.body)
		require.Equal(t, "rate_limited", string(r.problem(t).Code), rt)
	}
}

// switchLimiter allows everything until broken.
type switchLimiter struct{ broken atomic.Bool }

func (l *switchLimiter) Allow(ctx context.Context, key string, limit ratelimit.Limit, cost int) (ratelimit.Result, error) {
	if l.broken.Load() {
		return brokenLimiter{}.Allow(ctx, key, limit, cost)
	}
	return ratelimit.Result{Allowed: true}, nil
}

// userOutage is downStore (errors_test.go) failing user lookups too, as
// every [user] route makes one.
type userOutage struct{ *downStore }

func (o userOutage) GetUser(ctx context.Context, id string) (*storage.User, error) {
	if o.down.Load() {
		return nil, fmt.Errorf("dial tcp: connection refused: %w", storage.ErrUnavailable)
	}
	return o.Store.GetUser(ctx, id)
}

// TestOpenAPIStoreOutage: while the store cannot be reached every route
// answers as documented; every [user] route answers 503 (its token is
// checked against the store). On the memory store user lookups fail; on
// PostgreSQL (when enabled) the connection goes down behind a proxy.
func TestOpenAPIStoreOutage(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, e *env, setDown func(bool)) {
		u := e.confirmedUser()
		setDown(true)
		for _, g := range genericRoutes(t, u.id) {
			r := e.sendAs(g, u.access, "application/json", g.example, false)
			if g.auth == "user" {
				require.Equal(t, http.StatusServiceUnavailable, r.status, "%s %s: %s", g.method, g.pattern, r.body)
			}
		}
		setDown(false)
	}
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		st := userOutage{&downStore{Store: memory.New()}}
		check(t, newEnv(t, func(c *envConfig) { c.store = st }), st.down.Store)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		st, proxy := postgrestest.NewBehindProxy(t) // skips without ONBOARDKIT_TEST_POSTGRES
		check(t, newEnv(t, func(c *envConfig) { c.store = st }), func(down bool) {
			if down {
				proxy.Down()
			} else {
				proxy.Up()
			}
		})
	})
}
