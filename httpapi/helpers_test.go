package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/clocktest"
	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// outboxLine is one line of the otp.Outbox.
type outboxLine struct {
	Channel string `json:"channel"`
	To      string `json:"to"`
	Purpose string `json:"purpose"`
	Code    string `json:"code"`
}

// env is a handler on an httptest server with a fake clock, an outbox, an
// integrator key and an operator key.
type env struct {
	t      testing.TB
	srv    *httptest.Server
	clock  *clocktest.Clock
	outbox *syncBuffer
	logs   *syncBuffer
	key    *ecdsa.PrivateKey
	opKey  *ecdsa.PrivateKey
	svc    *onboarding.Service
	client *http.Client
}

type envConfig struct {
	store  storage.Store
	hasher onboarding.PasswordHasher
	opts   httpapi.Config
	svc    func(*onboarding.Config)
}

var cheapHasher = sync.OnceValue(func() *password.Hasher {
	h, err := password.NewHasher(password.HasherConfig{Params: password.TestParams()}, onboardkit.Runtime{})
	if err != nil {
		panic(err)
	}
	return h
})

func newEnv(t testing.TB, mods ...func(*envConfig)) *env {
	t.Helper()
	cfg := envConfig{store: memory.New(), hasher: cheapHasher()}
	for _, m := range mods {
		m(&cfg)
	}
	e := &env{t: t, clock: clocktest.Default(), outbox: &syncBuffer{}, logs: &syncBuffer{}}
	var err error
	e.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	e.opKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	signing, err := onboarding.NewSigningKey("k1", nil)
	require.NoError(t, err)
	deriver, err := portfolio.NewBitcoinDeriver(portfolio.DevBitcoinZpub)
	require.NoError(t, err)
	box := otp.NewOutbox(e.outbox, otp.WithOutboxClock(e.clock))
	ring, err := seal.NewEphemeralKeyring("k1")
	require.NoError(t, err)
	scfg := onboarding.Config{
		Keyring:   ring,
		Store:     cfg.store,
		SMS:       box,
		Email:     box,
		Secret:    []byte("0123456789abcdef0123456789abcdef"),
		Hasher:    cfg.hasher,
		Tokens:    onboarding.TokenConfig{SigningKey: signing},
		Clock:     e.clock,
		Logger:    slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Addresses: deriver,
	}
	if cfg.svc != nil {
		cfg.svc(&scfg)
	}
	e.svc, err = onboarding.New(scfg)
	require.NoError(t, err)
	opts := cfg.opts
	opts.IntegratorKeys = append(opts.IntegratorKeys, &e.key.PublicKey)
	opts.OperatorKeys = append(opts.OperatorKeys, &e.opKey.PublicKey)
	e.srv = httptest.NewServer(httpapi.New(e.svc, opts))
	t.Cleanup(e.srv.Close)
	e.client = e.srv.Client()
	return e
}

// resp is a decoded answer.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r *resp) json(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

func (r *resp) problem(t testing.TB) httpapi.Problem {
	t.Helper()
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"), "body: %s", r.body)
	var p httpapi.Problem
	r.json(t, &p)
	require.Equal(t, r.status, p.Status)
	return p
}

// request builds a request with a JSON body (raw when body is []byte or
// string).
func (e *env) request(method, path, token string, body any) *http.Request {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// send sends req; the exchange is checked against the OpenAPI document
// (openapi_test.go).
func (e *env) send(req *http.Request) *resp {
	e.t.Helper()
	check := e.openAPICheck(req)
	res, err := e.client.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	r := &resp{status: res.StatusCode, header: res.Header, body: body}
	check(r)
	return r
}

func (e *env) do(method, path, token string, body any) *resp {
	e.t.Helper()
	return e.send(e.request(method, path, token, body))
}

// signed sends a request signed with the env's integrator key at the clock's
// time.
func (e *env) signed(method, path string, body any) (*resp, *http.Request) {
	e.t.Helper()
	return e.signedBy(e.key, method, path, body)
}

// signedBy sends a request signed with key at the clock's time.
func (e *env) signedBy(key *ecdsa.PrivateKey, method, path string, body any) (*resp, *http.Request) {
	e.t.Helper()
	req := e.request(method, path, "", body)
	require.NoError(e.t, httpapi.Sign(req, key, e.clock.Now()))
	return e.send(req), req
}

// operator sends a request signed with the env's operator key.
func (e *env) operator(method, path string, body any) *resp {
	e.t.Helper()
	r, _ := e.signedBy(e.opKey, method, path, body)
	return r
}

// operatorKey is the env's operator key in the X-Pubkey form, the Actor of
// its calls.
func (e *env) operatorKey() string {
	e.t.Helper()
	k, err := httpapi.FormatPublicKeyHex(&e.opKey.PublicKey)
	require.NoError(e.t, err)
	return k
}

// code returns the last code the outbox holds for destination.
func (e *env) code(to string) string {
	e.t.Helper()
	var last string
	sc := bufio.NewScanner(strings.NewReader(e.outbox.String()))
	for sc.Scan() {
		var l outboxLine
		require.NoError(e.t, json.Unmarshal(sc.Bytes(), &l))
		if l.To == to {
			last = l.Code
		}
	}
	require.NotEmpty(e.t, last, "no code sent to %s", to)
	return last
}

var phoneSeq atomic.Int64

// newPhone returns a distinct valid French mobile number.
func newPhone() string { return fmt.Sprintf("+3361%07d", phoneSeq.Add(1)) }

const testPassword = "correct-horse-7-battery"

// pngDataURL encodes a w×h PNG as a data URL.
func pngDataURL(t testing.TB, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x += 5 {
		img.Set(x, (x*7)%h, color.RGBA{R: 30, G: 144, B: 255, A: 255})
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

var testProfile = kyc.Profile{
	FirstName: "Jean", LastName: "Dupont", BirthDate: "1985-04-12", Nationality: "FRA",
	ResidentialAddress: kyc.Address{StreetLine1: "10 rue de Rivoli", City: "Paris", PostalCode: "75001", Country: "FRA"},
}

func testCompliance(now time.Time) map[string]any {
	return map[string]any{
		"termsAcceptedAt":    now.Add(-time.Hour).Format(time.RFC3339),
		"politicallyExposed": false,
		"questionnaire": map[string]any{
			"employmentStatus": "employed", "sourceOfFunds": "salary",
			"expectedMonthlyPaymentsUsd": "0_4999", "mostRecentOccupation": "Engineer",
		},
	}
}

// user is a signed-up user as the tests track it.
type user struct {
	id, phone, email string
	access, refresh  string
}

// confirmedUser signs up and confirms a new phone over HTTP.
func (e *env) confirmedUser() *user {
	e.t.Helper()
	u := &user{phone: newPhone()}
	r := e.do("POST", "/v1/signup", "", map[string]string{"phoneNumber": u.phone, "password": testPassword})
	require.Equal(e.t, http.StatusCreated, r.status, "%s", r.body)
	var su onboarding.SignUpResult
	r.json(e.t, &su)
	r = e.do("POST", "/v1/phone/confirm", "", map[string]string{"challengeId": su.Challenge.ChallengeID, "code": e.code(u.phone)})
	require.Equal(e.t, http.StatusOK, r.status, "%s", r.body)
	var ar onboarding.AuthResult
	r.json(e.t, &ar)
	u.id, u.access, u.refresh = ar.UserID, ar.Tokens.AccessToken, ar.Tokens.RefreshToken
	return u
}

// activeUser takes a new user through email, profile, compliance, KYC and
// an integrator's approval over HTTP: an active user with an active account
// and its TRADING portfolio.
func (e *env) activeUser() *user {
	e.t.Helper()
	u := e.confirmedUser()
	u.email = "u" + u.phone[1:] + "@example.com"
	r := e.do("PUT", "/v1/email", u.access, map[string]string{"email": u.email})
	require.Equal(e.t, http.StatusAccepted, r.status, "%s", r.body)
	var ch struct{ Challenge onboarding.Challenge }
	r.json(e.t, &ch)
	e.expect(http.StatusOK, "POST", "/v1/email/confirm", u.access, map[string]string{"challengeId": ch.Challenge.ChallengeID, "code": e.code(u.email)})
	e.expect(http.StatusOK, "PATCH", "/v1/profile", u.access, testProfile)
	e.expect(http.StatusNoContent, "POST", "/v1/compliance", u.access, testCompliance(e.clock.Now()))
	e.expect(http.StatusAccepted, "POST", "/v1/kyc", u.access, testSubmission(e.t))
	r, _ = e.signed("POST", "/v1/integrator/kyc-decisions", map[string]string{"userId": u.id, "verificationStatus": "active"})
	require.Equal(e.t, http.StatusOK, r.status, "%s", r.body)
	return u
}

// accounts reads GET /v1/accounts.
func (e *env) accounts(token string) []portfolio.Account {
	e.t.Helper()
	var res struct{ Accounts []portfolio.Account }
	e.expect(http.StatusOK, "GET", "/v1/accounts", token, nil).json(e.t, &res)
	return res.Accounts
}

// activeAccount is activeUser with the id of the account its approval
// created.
func (e *env) activeAccount() (*user, string) {
	e.t.Helper()
	u := e.activeUser()
	accts := e.accounts(u.access)
	require.Len(e.t, accts, 1)
	return u, accts[0].ID
}

// expect sends a request and requires the status.
func (e *env) expect(status int, method, path, token string, body any) *resp {
	e.t.Helper()
	r := e.do(method, path, token, body)
	require.Equal(e.t, status, r.status, "%s %s: %s", method, path, r.body)
	return r
}

// testSubmission is a KYC submission without errors: a 400×400 passport.
func testSubmission(t testing.TB) kyc.Submission {
	return kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{{
		DocumentType: "passport", IssuingCountry: "FRA", Document: pngDataURL(t, 400, 400),
		DocumentNumber: "12AB34567", ExpiryDate: "2030-01-01",
	}}}
}

// login logs u in with the password and the SMS code, and keeps the
// tokens.
func (e *env) login(u *user) {
	e.t.Helper()
	r := e.expect(http.StatusOK, "POST", "/v1/login", "", map[string]string{"username": u.phone, "password": testPassword})
	var lr onboarding.LoginResult
	r.json(e.t, &lr)
	r = e.expect(http.StatusOK, "POST", "/v1/otp", "", map[string]string{"sessionId": lr.SessionID, "code": e.code(u.phone)})
	var ar onboarding.AuthResult
	r.json(e.t, &ar)
	u.access, u.refresh = ar.Tokens.AccessToken, ar.Tokens.RefreshToken
}

// failingSender refuses every message.
type failingSender struct{}

func (failingSender) Send(context.Context, otp.Message) error { return errors.New("provider down") }

func testingGOMAXPROCS() int { return runtime.GOMAXPROCS(0) }

// storeForTests is PostgreSQL when its tests are enabled (CI), else the
// memory store.
func storeForTests(t testing.TB) storage.Store {
	if os.Getenv(postgrestest.EnvVar) != "" {
		return postgrestest.New(t)
	}
	return memory.New()
}
