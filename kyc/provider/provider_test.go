package provider_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/kyc/provider"
)

const (
	testSecret = "sumsub-webhook-secret"
	testToken  = "onfido-webhook-token"
	testUser   = "3f1c2a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c"
)

// piiInPayloads are the personal data the testdata payloads hold in free-text
// fields; none may reach a Notification or an error.
var piiInPayloads = []string{"Jane", "Doe", "12AB34567", "rue de la Paix", "1990-01-01", "sanctions list"}

// sign returns the hexadecimal HMAC of body with key under h, computed here
// as the providers' documentation describes, independently of the package.
func sign(h func() hash.Hash, key string, body []byte) string {
	m := hmac.New(h, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// sumsubHeader returns the headers Sumsub sends for body signed with alg.
func sumsubHeader(alg string, h func() hash.Hash, key string, body []byte) http.Header {
	hd := http.Header{}
	hd.Set("Content-Type", "application/json")
	hd.Set("X-Payload-Digest", sign(h, key, body))
	hd.Set("X-Payload-Digest-Alg", alg)
	return hd
}

// onfidoHeader returns the headers Onfido sends for body.
func onfidoHeader(key string, body []byte) http.Header {
	hd := http.Header{}
	hd.Set("Content-Type", "application/json")
	hd.Set("X-SHA2-Signature", sign(sha256.New, key, body))
	return hd
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func newSumsub(t testing.TB, opts ...provider.SumsubOption) *provider.Sumsub {
	t.Helper()
	s, err := provider.NewSumsub(testSecret, opts...)
	require.NoError(t, err)
	return s
}

func newOnfido(t testing.TB) *provider.Onfido {
	t.Helper()
	o, err := provider.NewOnfido(testToken)
	require.NoError(t, err)
	return o
}

// parseCase is one testdata payload and the notification it must read as.
type parseCase struct {
	file     string
	header   func(body []byte) http.Header
	eventID  string
	typ      string
	userID   string
	decision *kyc.Decision
}

// runParseCases verifies and parses each case's payload, signed in the test,
// through a, and checks the notification and that no free text leaked.
func runParseCases(t *testing.T, a provider.Adapter, cases []parseCase) {
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			body := readTestdata(t, tc.file)
			require.NoError(t, a.Verify(tc.header(body), body))
			n, err := a.Parse(body)
			require.NoError(t, err)
			require.Equal(t, &provider.Notification{EventID: tc.eventID, Type: tc.typ, UserID: tc.userID, Decision: tc.decision}, n)
			if n.Decision != nil {
				require.NoError(t, n.Decision.Validate())
			}
			out, err := json.Marshal(n)
			require.NoError(t, err)
			for _, s := range piiInPayloads {
				require.NotContains(t, string(out), s)
			}
			// The same body parses to the same event id: a redelivery is
			// recognised.
			again, err := a.Parse(body)
			require.NoError(t, err)
			require.Equal(t, n.EventID, again.EventID)
		})
	}
}

func TestVerify(t *testing.T) {
	sumsub := newSumsub(t)
	sumsubSHA1 := newSumsub(t, provider.SumsubAlgorithms(provider.SumsubHMACSHA1))
	onfido := newOnfido(t)
	sBody := readTestdata(t, "sumsub/applicantReviewed_green.json")
	oBody := readTestdata(t, "onfido/workflow_run_completed_approved.json")
	altered := func(b []byte) []byte { return []byte(strings.Replace(string(b), "GREEN", "GREEn", 1)) }
	oAltered := []byte(strings.Replace(string(oBody), "approved", "declined", 2))
	without := func(h http.Header, name string) http.Header { h.Del(name); return h }
	with := func(h http.Header, name, value string) http.Header { h.Set(name, value); return h }
	cases := []struct {
		name    string
		adapter provider.Adapter
		header  http.Header
		body    []byte
		ok      bool
	}{
		{"sumsub sha256", sumsub, sumsubHeader("HMAC_SHA256_HEX", sha256.New, testSecret, sBody), sBody, true},
		{"sumsub sha512", sumsub, sumsubHeader("HMAC_SHA512_HEX", sha512.New, testSecret, sBody), sBody, true},
		{"sumsub upper-case hex", sumsub, with(sumsubHeader("HMAC_SHA256_HEX", sha256.New, testSecret, sBody), "X-Payload-Digest", strings.ToUpper(sign(sha256.New, testSecret, sBody))), sBody, true},
		{"sumsub sha1 refused by default", sumsub, sumsubHeader("HMAC_SHA1_HEX", sha1.New, testSecret, sBody), sBody, false},
		{"sumsub sha1 when allowed", sumsubSHA1, sumsubHeader("HMAC_SHA1_HEX", sha1.New, testSecret, sBody), sBody, true},
		{"sumsub sha256 when only sha1 is allowed", sumsubSHA1, sumsubHeader("HMAC_SHA256_HEX", sha256.New, testSecret, sBody), sBody, false},
		{"sumsub wrong secret", sumsub, sumsubHeader("HMAC_SHA256_HEX", sha256.New, "another-secret", sBody), sBody, false},
		{"sumsub algorithm header names another algorithm", sumsub, sumsubHeader("HMAC_SHA512_HEX", sha256.New, testSecret, sBody), sBody, false},
		{"sumsub unknown algorithm", sumsub, sumsubHeader("HMAC_MD5_HEX", sha256.New, testSecret, sBody), sBody, false},
		{"sumsub lower-case algorithm name", sumsub, sumsubHeader("hmac_sha256_hex", sha256.New, testSecret, sBody), sBody, false},
		{"sumsub body altered after signing", sumsub, sumsubHeader("HMAC_SHA256_HEX", sha256.New, testSecret, sBody), altered(sBody), false},
		{"sumsub body with a trailing space", sumsub, sumsubHeader("HMAC_SHA256_HEX", sha256.New, testSecret, sBody), append(append([]byte{}, sBody...), ' '), false},
		{"sumsub missing digest", sumsub, without(sumsubHeader("HMAC_SHA256_HEX", sha256.New, testSecret, sBody), "X-Payload-Digest"), sBody, false},
		{"sumsub missing algorithm (no default assumed)", sumsub, without(sumsubHeader("HMAC_SHA256_HEX", sha256.New, testSecret, sBody), "X-Payload-Digest-Alg"), sBody, false},
		{"sumsub empty digest", sumsub, with(sumsubHeader("HMAC_SHA256_HEX", sha256.New, testSecret, sBody), "X-Payload-Digest", " "), sBody, false},
		{"sumsub digest not hex", sumsub, with(sumsubHeader("HMAC_SHA256_HEX", sha256.New, testSecret, sBody), "X-Payload-Digest", strings.Repeat("zz", 32)), sBody, false},
		{"sumsub digest truncated", sumsub, with(sumsubHeader("HMAC_SHA256_HEX", sha256.New, testSecret, sBody), "X-Payload-Digest", sign(sha256.New, testSecret, sBody)[:62]), sBody, false},
		{"sumsub two digests", sumsub, func() http.Header {
			h := sumsubHeader("HMAC_SHA256_HEX", sha256.New, testSecret, sBody)
			h.Add("X-Payload-Digest", sign(sha256.New, testSecret, sBody))
			return h
		}(), sBody, false},
		{"sumsub no headers", sumsub, http.Header{}, sBody, false},
		{"onfido", onfido, onfidoHeader(testToken, oBody), oBody, true},
		{"onfido wrong token", onfido, onfidoHeader("another-token", oBody), oBody, false},
		{"onfido body altered after signing", onfido, onfidoHeader(testToken, oBody), oAltered, false},
		{"onfido missing signature", onfido, without(onfidoHeader(testToken, oBody), "X-SHA2-Signature"), oBody, false},
		{"onfido signed with sha1", onfido, with(http.Header{}, "X-SHA2-Signature", sign(sha1.New, testToken, oBody)), oBody, false},
		{"onfido signed with sha512", onfido, with(http.Header{}, "X-SHA2-Signature", sign(sha512.New, testToken, oBody)), oBody, false},
		{"onfido sumsub's header", onfido, sumsubHeader("HMAC_SHA256_HEX", sha256.New, testToken, oBody), oBody, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.adapter.Verify(tc.header, tc.body)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, provider.ErrSignature)
			require.NotContains(t, err.Error(), testSecret)
		})
	}
}

func TestParseMalformed(t *testing.T) {
	sumsub := newSumsub(t)
	onfido := newOnfido(t)
	reviewed := func(result string) string {
		return `{"type":"applicantReviewed","applicantId":"5cb56e8e0a975a35f333cb83","correlationId":"req-1","externalUserId":"` + testUser + `","reviewStatus":"completed","reviewResult":` + result + `}`
	}
	completed := func(object, resource string) string {
		return `{"payload":{"resource_type":"workflow_run","action":"workflow_run.completed","object":` + object + `,"resource":` + resource + `}}`
	}
	const run = `{"id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19","status":"approved"}`
	cases := []struct {
		name    string
		adapter provider.Adapter
		body    string
	}{
		{"sumsub empty", sumsub, ``},
		{"sumsub not JSON", sumsub, `type=applicantReviewed`},
		{"sumsub array", sumsub, `[{"type":"applicantReviewed"}]`},
		{"sumsub null", sumsub, `null`},
		{"sumsub string", sumsub, `"applicantReviewed"`},
		{"sumsub number", sumsub, `42`},
		{"sumsub truncated", sumsub, reviewed(`{"reviewAnswer":"GREEN"}`)[:60]},
		{"sumsub trailing data", sumsub, reviewed(`{"reviewAnswer":"GREEN"}`) + `{}`},
		{"sumsub without type", sumsub, `{"applicantId":"5cb56e8e0a975a35f333cb83","reviewResult":{"reviewAnswer":"GREEN"}}`},
		{"sumsub type not a string", sumsub, `{"type":7}`},
		{"sumsub externalUserId not a string", sumsub, `{"type":"applicantPending","externalUserId":12}`},
		{"sumsub externalUserId with a control character", sumsub, `{"type":"applicantPending","externalUserId":"a\u0000b"}`},
		{"sumsub externalUserId too long", sumsub, `{"type":"applicantPending","externalUserId":"` + strings.Repeat("a", 257) + `"}`},
		{"sumsub correlationId with a space", sumsub, `{"type":"applicantPending","correlationId":"req 1"}`},
		{"sumsub createdAtMs an object", sumsub, `{"type":"applicantPending","applicantId":"a1","createdAtMs":{}}`},
		{"sumsub reviewed without reviewResult", sumsub, reviewed(`null`)},
		{"sumsub reviewResult not an object", sumsub, reviewed(`"GREEN"`)},
		{"sumsub reviewAnswer missing", sumsub, reviewed(`{}`)},
		{"sumsub reviewAnswer unknown", sumsub, reviewed(`{"reviewAnswer":"YELLOW"}`)},
		{"sumsub RED without reviewRejectType", sumsub, reviewed(`{"reviewAnswer":"RED","rejectLabels":["FORGERY"]}`)},
		{"sumsub RED with an unknown reviewRejectType", sumsub, reviewed(`{"reviewAnswer":"RED","reviewRejectType":"LATER"}`)},
		{"sumsub rejectLabels not a list", sumsub, reviewed(`{"reviewAnswer":"RED","reviewRejectType":"RETRY","rejectLabels":"SCREENSHOTS"}`)},
		{"sumsub decision without externalUserId", sumsub, `{"type":"applicantReviewed","correlationId":"req-1","reviewResult":{"reviewAnswer":"GREEN"}}`},
		{"sumsub decision without an event id", sumsub, `{"type":"applicantReviewed","externalUserId":"` + testUser + `","reviewResult":{"reviewAnswer":"GREEN"}}`},
		{"sumsub too large", sumsub, `{"type":"applicantPending","x":"` + strings.Repeat("a", provider.MaxBodyBytes) + `"}`},
		{"onfido empty object", onfido, `{}`},
		{"onfido array", onfido, `[]`},
		{"onfido payload null", onfido, `{"payload":null}`},
		{"onfido without action", onfido, `{"payload":{"resource_type":"workflow_run","object":` + run + `}}`},
		{"onfido action not a string", onfido, `{"payload":{"action":["workflow_run.completed"]}}`},
		{"onfido completed without object", onfido, `{"payload":{"resource_type":"workflow_run","action":"workflow_run.completed"}}`},
		{"onfido completed without object id", onfido, completed(`{"status":"approved"}`, `{"customer_user_id":"`+testUser+`"}`)},
		{"onfido completed without status", onfido, completed(`{"id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19"}`, `{"customer_user_id":"`+testUser+`"}`)},
		{"onfido object id with a newline", onfido, completed(`{"id":"a\nb","status":"approved"}`, `null`)},
		{"onfido completed for another resource type", onfido, `{"payload":{"resource_type":"check","action":"workflow_run.completed","object":` + run + `}}`},
		{"onfido resource of another run", onfido, completed(run, `{"id":"6f1e1a52-0000-4000-8000-000000000000","customer_user_id":"`+testUser+`"}`)},
		{"onfido resource not an object", onfido, completed(run, `"resource"`)},
		{"onfido customer_user_id not a user id", onfido, completed(run, `{"customer_user_id":"jane doe"}`)},
		{"onfido approved without customer_user_id", onfido, completed(run, `{"id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19"}`)},
		{"onfido approved without resource", onfido, completed(run, `null`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := tc.adapter.Parse([]byte(tc.body))
			require.ErrorIs(t, err, provider.ErrMalformed)
			require.Nil(t, n)
			for _, s := range []string{testUser, "jane", "req-1"} {
				require.NotContains(t, err.Error(), s, "errors name fields, never values")
			}
		})
	}
}

func TestNew(t *testing.T) {
	_, err := provider.NewSumsub("")
	require.Error(t, err)
	_, err = provider.NewSumsub(" \t")
	require.Error(t, err)
	_, err = provider.NewSumsub(testSecret, provider.SumsubAlgorithms())
	require.Error(t, err)
	_, err = provider.NewSumsub(testSecret, provider.SumsubAlgorithms("HMAC_MD5_HEX"))
	require.Error(t, err)
	s, err := provider.NewSumsub(testSecret, provider.SumsubAlgorithms(provider.SumsubHMACSHA512, provider.SumsubHMACSHA512))
	require.NoError(t, err)
	require.Equal(t, "sumsub", s.Name())
	_, err = provider.NewOnfido("")
	require.Error(t, err)
	o, err := provider.NewOnfido(testToken)
	require.NoError(t, err)
	require.Equal(t, "onfido", o.Name())
}

// FuzzParse checks that Parse never panics, that every error wraps
// ErrMalformed, and that a decision always comes valid, with a user id and
// an event id.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"sumsub", "onfido"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		if err != nil || len(files) == 0 {
			f.Fatalf("no seed payloads in testdata/%s", dir)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"type":null}`, `{"payload":{}}`,
		`{"type":"applicantReviewed","externalUserId":"u","applicantId":"a","createdAtMs":1613915999321,"reviewResult":{"reviewAnswer":"RED","reviewRejectType":"RETRY","rejectLabels":["BAD_SELFIE",null,7]}}`,
		`{"payload":{"action":"workflow_run.completed","object":{"id":"r","status":"declined"},"resource":{"customer_user_id":"u"}}}`,
	} {
		f.Add([]byte(s))
	}
	adapters := []provider.Adapter{newSumsub(f), newOnfido(f)}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, a := range adapters {
			n, err := a.Parse(body)
			if err != nil {
				if !errors.Is(err, provider.ErrMalformed) {
					t.Fatalf("%s: error %v does not wrap ErrMalformed", a.Name(), err)
				}
				if n != nil {
					t.Fatalf("%s: a notification with an error", a.Name())
				}
				continue
			}
			if n == nil || n.Type == "" {
				t.Fatalf("%s: no notification or no type without an error", a.Name())
			}
			if n.Decision == nil {
				continue
			}
			if n.UserID == "" || n.EventID == "" {
				t.Fatalf("%s: a decision without a user id or an event id: %+v", a.Name(), n)
			}
			if err := n.Decision.Validate(); err != nil {
				t.Fatalf("%s: invalid decision %+v: %v", a.Name(), n.Decision, err)
			}
		}
	})
}
