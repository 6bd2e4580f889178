package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/ratelimit"
)

// TestLimiterBoundedUnderManyClients: the handler keeps nothing per client
// itself, and the in-process limiter it counts in holds at most its bound
// of keys however many distinct clients come (each gets its whole
// allowance: a new key is never refused).
func TestLimiterBoundedUnderManyClients(t *testing.T) {
	t.Parallel()
	const bound, clients = 500, 20_000
	e := newEnv(t)
	lim := ratelimit.NewMemory(ratelimit.WithClock(e.clock), ratelimit.WithMaxKeys(bound))
	h := httpapi.New(e.svc, httpapi.Config{Limiter: lim})
	for i := range clients {
		// A body that is not JSON: the limit is taken before the body is
		// read, and nothing else runs.
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/v1/signup", strings.NewReader("-"))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = fmt.Sprintf("198.18.%d.%d:40000", i>>8, i&255)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("client %d: status %d: %s", i, rec.Code, rec.Body)
		}
		if n := lim.Len(); n > bound {
			t.Fatalf("after %d clients: %d limiter keys, bound %d", i+1, n, bound)
		}
	}
	if n := lim.Len(); n != bound {
		t.Fatalf("limiter keys = %d, want the bound %d", n, bound)
	}
}
