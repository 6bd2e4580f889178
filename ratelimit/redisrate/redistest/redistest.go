// Package redistest gives tests clients of a Redis server.
//
// The server address comes from the environment variable
// ONBOARDKIT_TEST_REDIS, a Redis URL, for example
//
//	ONBOARDKIT_TEST_REDIS=redis://127.0.0.1:6379/0 go test ./...
//
// When the variable is unset the helpers skip the test with that hint; when
// it is set and the server cannot be reached they fail it, never skip.
// Tests share the server's database: they use keys unique to their run
// (ratelimittest does), so they can run in parallel, and nothing is
// flushed.
package redistest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvVar names the environment variable holding the test server URL.
const EnvVar = "ONBOARDKIT_TEST_REDIS"

// URL returns the test server URL, or skips the test when EnvVar is unset.
func URL(tb testing.TB) string {
	tb.Helper()
	if url := os.Getenv(EnvVar); url != "" {
		return url
	}
	tb.Skipf("Redis tests are off: set %s to enable them, e.g. "+
		"%s=redis://127.0.0.1:6379/0 go test ./ratelimit/...", EnvVar, EnvVar)
	return ""
}

// Client returns a client of the test server, with a pool of its own,
// closed when the test ends. It skips the test when EnvVar is unset and
// fails it when the URL is malformed or the server does not answer PING.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	opts, err := redis.ParseURL(URL(tb))
	if err != nil {
		tb.Fatalf("redistest: %s is not a Redis URL: %v", EnvVar, err)
	}
	c := redis.NewClient(opts)
	tb.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("redistest: %s is set but Redis is unreachable: %v", EnvVar, err)
	}
	return c
}

// Pair returns two clients of the test server with separate pools: two
// replicas of a service sharing one Redis.
func Pair(tb testing.TB) (a, b *redis.Client) {
	tb.Helper()
	return Client(tb), Client(tb)
}
