package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp/otptest"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage/memory"
)

// New mounts the whole API; here a sign-up over HTTP.
func ExampleNew() {
	key, _ := onboarding.NewSigningKey("k1", nil)
	ring, _ := seal.NewEphemeralKeyring("demo") // production: seal.ReadKeyringFile or a KMS
	svc, err := onboarding.New(onboarding.Config{
		Keyring: ring,
		Store:   memory.New(),
		SMS:     otptest.NewRecorder(),
		Email:   otptest.NewRecorder(),
		Secret:  []byte("0123456789abcdef0123456789abcdef"),
		Hasher:  cheapHasher(),
		Tokens:  onboarding.TokenConfig{SigningKey: key},
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Config{}))
	defer srv.Close()

	res, err := http.Post(srv.URL+"/v1/signup", "application/json",
		strings.NewReader(`{"phoneNumber":"+33612345678","password":"correct-horse-7-battery"}`))
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	fmt.Println(res.StatusCode)

	res2, _ := http.Post(srv.URL+"/v1/signup", "application/json", strings.NewReader(`{"phone":"+33612345678"}`))
	body, _ := io.ReadAll(res2.Body)
	res2.Body.Close()
	fmt.Println(res2.StatusCode, res2.Header.Get("Content-Type"))
	fmt.Print(string(body))
	// Output:
	// 201
	// 400 application/problem+json
	// {"type":"https://onboardkit.dev/problems/malformed-request","title":"Malformed request","status":400,"detail":"The request body has an unknown field.","code":"malformed_request","errors":[{"field":"phone","code":"unknown_field","message":"This field is not accepted."}]}
}

// Sign is what an integrator calls before sending a request to an
// [integrator] route; RequireSignature checks it on the server.
func ExampleSign() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Unix(1767323045, 0)
	protected := httpapi.RequireSignature([]*ecdsa.PublicKey{&key.PublicKey}, httpapi.SignatureConfig{},
		onboardkit.Runtime{Clock: clockAt(now)})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Printf("accepted %s\n", b)
	}))

	req := httptest.NewRequest("POST", "/v1/integrator/kyc-decisions",
		strings.NewReader(`{"userId":"u1","verificationStatus":"active"}`))
	if err := httpapi.Sign(req, key, now); err != nil {
		panic(err)
	}
	fmt.Println(req.Header.Get("X-Timestamp"))
	replay := req.Clone(req.Context())
	replay.Body, _ = req.GetBody()

	protected.ServeHTTP(httptest.NewRecorder(), req)
	rec := httptest.NewRecorder()
	protected.ServeHTTP(rec, replay)
	fmt.Println(rec.Code)
	// Output:
	// 1767323045
	// accepted {"userId":"u1","verificationStatus":"active"}
	// 401
}

type clockAt time.Time

func (c clockAt) Now() time.Time { return time.Time(c) }
