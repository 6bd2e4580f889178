package onboarding

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/password"
)

// BenchmarkLoginKnownVsUnknown times failed logins of a known user and
// logins of unknown usernames, interleaved, with argon2id at its real
// parameters, and reports the ratio of their median latencies (known /
// unknown; 1.0 means indistinguishable). Run with -benchtime 200x for the
// 200 interleaved attempts of the abuse-resistance issue.
func BenchmarkLoginKnownVsUnknown(b *testing.B) {
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			hasher, err := password.NewHasher(password.HasherConfig{}, onboardkit.Runtime{})
			if err != nil {
				b.Fatal(err)
			}
			h := newHarness(b, st.new(b), func(c *Config) {
				c.Hasher = hasher
				c.Login.FreeFailures = 1 << 30 // measure the checks, not the throttle
			})
			ctx := context.Background()
			phone := newPhone()
			h.confirmed(phone)
			var known, unknown []time.Duration
			timed := func(username string) time.Duration {
				start := time.Now()
				_, _ = h.svc.Login(ctx, LoginRequest{Username: username, Password: "wrong-password-1"})
				return time.Since(start)
			}
			b.ResetTimer()
			for i := range b.N {
				if i%2 == 0 {
					known = append(known, timed(phone))
					unknown = append(unknown, timed(newPhone()))
				} else {
					unknown = append(unknown, timed(fmt.Sprintf("nobody%d@example.com", i)))
					known = append(known, timed(phone))
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(median(known))/float64(median(unknown)), "known/unknown-median")
			b.ReportMetric(float64(median(known).Microseconds())/1000, "known-ms")
			b.ReportMetric(float64(median(unknown).Microseconds())/1000, "unknown-ms")
		})
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
