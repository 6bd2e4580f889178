package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp/otptest"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage/memory"
)

// benchClients is the number of concurrent HTTP clients of the load figures:
// SetParallelism(benchClients/GOMAXPROCS) goroutines per P.
const benchClients = 16

func setParallelism(b *testing.B) {
	p := benchClients / testingGOMAXPROCS()
	if p < 1 {
		p = 1
	}
	b.SetParallelism(p)
}

var benchPhone atomic.Int64

// BenchmarkSignUpConfirm is the load figure: sign-up + phone confirmation
// through the handler over loopback HTTP, 16 concurrent clients, the memory
// store and the real argon2id hasher at its default (OWASP) parameters. It
// reports signups/s; compare with BenchmarkArgon2Hash, the bound set by the
// hasher alone at the same concurrency (each sign-up hashes once).
func BenchmarkSignUpConfirm(b *testing.B) {
	hasher, err := password.NewHasher(password.HasherConfig{}, onboardkit.Runtime{})
	if err != nil {
		b.Fatal(err)
	}
	key, _ := onboarding.NewSigningKey("k1", nil)
	sms := otptest.NewRecorder()
	ring, err := seal.NewEphemeralKeyring("k1")
	if err != nil {
		b.Fatal(err)
	}
	svc, err := onboarding.New(onboarding.Config{
		Store: memory.New(), SMS: sms, Email: sms,
		Secret: bytes.Repeat([]byte{1}, 32), Hasher: hasher, Keyring: ring,
		Tokens: onboarding.TokenConfig{SigningKey: key},
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Config{RateLimits: httpapi.RateLimits{Disabled: true}}))
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: benchClients * 2}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()

	post := func(path string, body any, out any) int {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(context.Background(), "POST", srv.URL+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			b.Error(err)
			return 0
		}
		defer res.Body.Close()
		if out != nil {
			_ = json.NewDecoder(res.Body).Decode(out)
		}
		return res.StatusCode
	}
	setParallelism(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			phone := fmt.Sprintf("+3362%07d", benchPhone.Add(1))
			var su onboarding.SignUpResult
			if st := post("/v1/signup", map[string]string{"phoneNumber": phone, "password": "correct-horse-7-battery"}, &su); st != http.StatusCreated {
				b.Errorf("signup: %d", st)
				return
			}
			if st := post("/v1/phone/confirm", map[string]string{"challengeId": su.Challenge.ChallengeID, "code": sms.LastCode(phone)}, nil); st != http.StatusOK {
				b.Errorf("confirm: %d", st)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "signups/s")
}

// BenchmarkArgon2Hash is the argon2id bound of BenchmarkSignUpConfirm: the
// default hasher alone at the same concurrency.
func BenchmarkArgon2Hash(b *testing.B) {
	hasher, err := password.NewHasher(password.HasherConfig{}, onboardkit.Runtime{})
	if err != nil {
		b.Fatal(err)
	}
	setParallelism(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := hasher.Hash(context.Background(), "correct-horse-7-battery"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "hashes/s")
}
