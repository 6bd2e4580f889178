package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// trivialHasher stands for "no hashing cost": it lets the benchmark measure
// what the journey costs besides password hashing.
type trivialHasher struct{}

func (trivialHasher) Hash(_ context.Context, pw string) (string, error) {
	s := sha256.Sum256([]byte(pw))
	return fmt.Sprintf("t$%x", s), nil
}

func (h trivialHasher) Verify(ctx context.Context, pw, encoded string) (bool, error) {
	want, _ := h.Hash(ctx, pw)
	return subtle.ConstantTimeCompare([]byte(want), []byte(encoded)) == 1, nil
}

func (trivialHasher) NeedsRehash(string) bool                   { return false }
func (trivialHasher) DummyVerify(context.Context, string) error { return nil }

func TestQuickstartJourney(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, setup{Store: memory.New(), Hasher: trivialHasher{}}); err != nil {
		t.Fatalf("journey failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{"== 1. Sign up", "status=active kyc=active tier=KYC_1", "deposit address bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "journey complete"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "+33614125910") {
		t.Error("the phone number is printed in clear")
	}
}

var seq atomic.Int64

func unique() (phone, email string) {
	n := seq.Add(1)
	return fmt.Sprintf("+3361%07d", n), fmt.Sprintf("bench%d@example.com", n)
}

// BenchmarkJourney runs the whole quickstart journey with the real argon2id
// hasher (OWASP parameters) and with a trivial one, interleaved in one run,
// and reports both and the share of the journey that is not hashing.
func BenchmarkJourney(b *testing.B) {
	stores := []struct {
		name string
		new  func(b *testing.B) func() storage.Store
	}{
		{"memory", func(*testing.B) func() storage.Store {
			return func() storage.Store { return memory.New() }
		}},
		{"postgres", func(b *testing.B) func() storage.Store {
			st := postgrestest.New(b)
			return func() storage.Store { return st }
		}},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			newStore := s.new(b)
			real, err := password.NewHasher(password.HasherConfig{}, onboardkit.Runtime{})
			if err != nil {
				b.Fatal(err)
			}
			fast, fastSender, err := newService(io.Discard, setup{Store: newStore(), Hasher: trivialHasher{}})
			if err != nil {
				b.Fatal(err)
			}
			slow, slowSender, err := newService(io.Discard, setup{Store: newStore(), Hasher: real})
			if err != nil {
				b.Fatal(err)
			}
			journey := func(h onboarding.PasswordHasher) time.Duration {
				phone, email := unique()
				svc, sender := fast, fastSender
				if h != nil {
					svc, sender = slow, slowSender
				}
				start := time.Now()
				if err := journey(context.Background(), io.Discard, svc, sender, setup{Phone: phone, Email: email}); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			journey(nil) // warm up: blocklist load, connections, sample document
			var withHash, without time.Duration
			b.ResetTimer()
			for b.Loop() {
				withHash += journey(real)
				without += journey(nil)
			}
			n := float64(b.N)
			hashing := withHash - without
			b.ReportMetric(float64(withHash.Microseconds())/n/1000, "argon2id-ms/journey")
			b.ReportMetric(float64(without.Microseconds())/n/1000, "trivial-ms/journey")
			b.ReportMetric(100*float64(without)/float64(hashing), "rest-%-of-hashing")
		})
	}
}
