// Command host is a host program that embeds onboardkit in its own HTTP
// server, as a Go backend does:
//
//   - the API is mounted under /auth in the host's mux (httpapi.Config
//     BasePath), so signed integrator calls are verified over the path the
//     client sent and logs show it;
//
//   - GET /orders, a route of the host's own, requires a user with
//     httpapi.RequireUser and the Service (a logout or a lock takes effect
//     at once);
//
//   - GET /reports stands for another service: it verifies the access
//     token from the JWKS alone (onboarding.JWKSVerifier), fetched over
//     HTTP from /auth/.well-known/jwks.json, and so cannot see a logout or
//     a lock until the token expires.
//
//     go run ./examples/host -addr 127.0.0.1:8081
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage/memory"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	h, err := newHost(hostConfig{SMS: otp.NewOutbox(os.Stderr), JWKSURL: "http://" + *addr + "/auth/.well-known/jwks.json"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(os.Stderr, "host on http://%s: the API under /auth, GET /orders and GET /reports need a user\n", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// hostConfig is what the host is built from.
type hostConfig struct {
	SMS     otp.SMSSender
	JWKSURL string // where the reports service fetches the JWKS
	Logger  *slog.Logger
	Service func(*onboarding.Config) // test hooks: clock, hasher
	API     func(*httpapi.Config)
}

// host is the host program's handler, the Service it embeds and the
// reports service.
type host struct {
	http.Handler
	svc     *onboarding.Service
	reports *jwksService
}

func newHost(cfg hostConfig) (*host, error) {
	key, err := onboarding.NewSigningKey("host-1", nil)
	if err != nil {
		return nil, err
	}
	ring, err := seal.NewEphemeralKeyring("host") // a real host: seal.ReadKeyringFile or a KMS
	if err != nil {
		return nil, err
	}
	sc := onboarding.Config{
		Store: memory.New(), SMS: cfg.SMS, Email: otp.NewOutbox(io.Discard), Keyring: ring,
		Secret: []byte("a host secret of at least 32 bytes!"),
		Tokens: onboarding.TokenConfig{SigningKey: key, Audience: "host-api"},
		Logger: cfg.Logger,
	}
	if cfg.Service != nil {
		cfg.Service(&sc)
	}
	svc, err := onboarding.New(sc)
	if err != nil {
		return nil, err
	}
	ac := httpapi.Config{BasePath: "/auth"}
	if cfg.API != nil {
		cfg.API(&ac)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", httpapi.New(svc, ac))
	mux.Handle("GET /orders", httpapi.RequireUser(svc)(http.HandlerFunc(orders)))
	reports := &jwksService{url: cfg.JWKSURL, audience: "host-api"}
	mux.Handle("GET /reports", reports)
	return &host{Handler: mux, svc: svc, reports: reports}, nil
}

// orders is a route of the host's own: the Service verified the caller.
func orders(w http.ResponseWriter, r *http.Request) {
	c, _ := httpapi.Claims(r.Context())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"userId": c.UserID, "orders": []string{}})
}

// jwksService stands for another service: it fetches the JWKS once and
// verifies tokens with it alone.
type jwksService struct {
	url, audience string
	once          sync.Once
	verifier      *onboarding.JWKSVerifier
	err           error
}

func (s *jwksService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.once.Do(func() { s.verifier, s.err = fetchJWKS(r.Context(), s.url, s.audience) })
	if s.err != nil {
		http.Error(w, "the JWKS could not be fetched", http.StatusServiceUnavailable)
		return
	}
	httpapi.RequireUser(s.verifier)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := httpapi.Claims(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"userId": c.UserID, "verifiedBy": "jwks"})
	})).ServeHTTP(w, r)
}

// fetchJWKS reads the key set at url and returns a verifier of it.
func fetchJWKS(ctx context.Context, url, audience string) (*onboarding.JWKSVerifier, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: %s", res.Status)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return onboarding.NewJWKSVerifier(b, "", audience, nil)
}
