package password

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
)

var benchProfile = Profile{
	Phone:      "+33614125910",
	Email:      "desiree.martin@example.com",
	FirstName:  "Désirée",
	MiddleName: "Anne-Sophie",
	LastName:   "Martin",
	BirthDate:  time.Date(1990, 5, 21, 0, 0, 0, 0, time.UTC),
	Extra:      []string{"onboardkit", "dmartin"},
}

// BenchmarkValidate is the hot path: a 12-character password that passes
// every rule, with a full profile, history excluded.
func BenchmarkValidate(b *testing.B) {
	p := DefaultPolicy()
	ctx := context.Background()
	DefaultBlocklist().Len() // load outside the measurement
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Validate(ctx, "Kx9#mQ2pLr7v", benchProfile); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateRejected is a password breaking several rules (building
// the PolicyError allocates).
func BenchmarkValidateRejected(b *testing.B) {
	p := DefaultPolicy()
	ctx := context.Background()
	DefaultBlocklist().Len()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Validate(ctx, "Desiree1990!", benchProfile); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkValidateNationalPhone has a profile phone that is not E.164 and
// goes through phonenumbers.Parse.
func BenchmarkValidateNationalPhone(b *testing.B) {
	p := DefaultPolicy()
	ctx := context.Background()
	prof := benchProfile
	prof.Phone = "06 14 12 59 10"
	DefaultBlocklist().Len()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Validate(ctx, "Kx9#mQ2pLr7v", prof); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBlocklistContains(b *testing.B) {
	bl := DefaultBlocklist()
	bl.Len()
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if bl.Contains("Kx9#mQ2pLr7v") {
				b.Fatal("found")
			}
		}
	})
	b.Run("hit-leet-stripped", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !bl.Contains("P@ssw0rd2024!") {
				b.Fatal("not found")
			}
		}
	})
}

// BenchmarkBlocklistLoad decodes the embedded list into a fresh slice and
// reports its size.
func BenchmarkBlocklistLoad(b *testing.B) {
	var hs []uint64
	for b.Loop() {
		hs = loadEmbedded()
	}
	b.ReportMetric(float64(8*cap(hs)), "heap-bytes")
	b.ReportMetric(float64(len(hs)), "words")
	runtime.KeepAlive(hs)
}

func BenchmarkArgon2idHashOWASP(b *testing.B) {
	h, _ := NewHasher(HasherConfig{}, onboardkit.Runtime{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "Kx9#mQ2pLr7v"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkArgon2idVerifyOWASP(b *testing.B) {
	h, _ := NewHasher(HasherConfig{}, onboardkit.Runtime{})
	ctx := context.Background()
	enc, _ := h.Hash(ctx, "Kx9#mQ2pLr7v")
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := h.Verify(ctx, "Kx9#mQ2pLr7v", enc); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkDummyVerifyOWASP(b *testing.B) {
	h, _ := NewHasher(HasherConfig{}, onboardkit.Runtime{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = h.DummyVerify(ctx, "Kx9#mQ2pLr7v")
	}
}

func BenchmarkArgon2idTestParams(b *testing.B) {
	h, _ := NewHasher(HasherConfig{Params: TestParams()}, onboardkit.Runtime{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "Kx9#mQ2pLr7v"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkArgon2idConcurrency is the hashing limit at the default (OWASP)
// parameters with GOMAXPROCS and 2×GOMAXPROCS hashing slots, 16 callers:
// hashes/s and the bytes allocated per hash (one Params.Memory buffer
// each, allocated by golang.org/x/crypto/argon2).
func BenchmarkArgon2idConcurrency(b *testing.B) {
	procs := runtime.GOMAXPROCS(0)
	for _, slots := range []int{procs, 2 * procs} {
		b.Run(fmt.Sprintf("slots=%d", slots), func(b *testing.B) {
			h, err := NewHasher(HasherConfig{MaxConcurrent: slots}, onboardkit.Runtime{})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.SetParallelism(max(1, 16/procs))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := h.Hash(ctx, "Kx9#mQ2pLr7v"); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "hashes/s")
		})
	}
}
