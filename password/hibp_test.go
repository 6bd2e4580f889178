package password_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/password"
)

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// hibpServer serves the range API: breached maps passwords to counts;
// padding adds count-0 entries, one of them for every password in pads.
func hibpServer(t *testing.T, breached map[string]int, pads ...string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		prefix, ok := strings.CutPrefix(r.URL.Path, "/range/")
		if !ok || len(prefix) != 5 || r.Method != http.MethodGet {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if r.Header.Get("Add-Padding") != "true" {
			http.Error(w, "padding header missing", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "0018A45C4D1DEF81644B54AB7F969B88D65:3\r\n")
		for pw, n := range breached {
			if h := sha1Hex(pw); h[:5] == prefix {
				fmt.Fprintf(w, "%s:%d\r\n", h[5:], n)
			}
		}
		for _, pw := range pads {
			if h := sha1Hex(pw); h[:5] == prefix {
				fmt.Fprintf(w, "%s:0\r\n", strings.ToLower(h[5:]))
			}
		}
		fmt.Fprintf(w, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0\r\n")
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestHIBPClient(t *testing.T) {
	srv, calls := hibpServer(t, map[string]int{"Blue-Ocean-77": 12, "Rare-One-1": 1}, "Padded-Only-9")
	ctx := context.Background()
	c := password.NewHIBPClient(password.WithHIBPBaseURL(srv.URL+"/"), password.WithHIBPHTTPClient(srv.Client()))
	for _, tt := range []struct {
		pw   string
		want bool
	}{
		{"Blue-Ocean-77", true},
		{"Rare-One-1", true},
		{"Padded-Only-9", false}, // count 0 is padding
		{"Never-Seen-42", false},
	} {
		got, err := c.Breached(ctx, tt.pw)
		if err != nil || got != tt.want {
			t.Errorf("Breached(%q) = %v, %v; want %v", tt.pw, got, err, tt.want)
		}
	}
	if calls.Load() != 4 {
		t.Errorf("calls = %d", calls.Load())
	}
	strict := password.NewHIBPClient(password.WithHIBPBaseURL(srv.URL), password.WithHIBPHTTPClient(srv.Client()), password.WithHIBPMinCount(5))
	if got, _ := strict.Breached(ctx, "Rare-One-1"); got {
		t.Error("MinCount 5: seen once counts as breached")
	}
	if got, _ := strict.Breached(ctx, "Blue-Ocean-77"); !got {
		t.Error("MinCount 5: seen 12 times not breached")
	}
}

func TestHIBPClientOnlySendsPrefix(t *testing.T) {
	seenCh := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenCh <- r.URL.String() + " " + fmt.Sprint(r.Header)
	}))
	defer srv.Close()
	c := password.NewHIBPClient(password.WithHIBPBaseURL(srv.URL))
	if _, err := c.Breached(context.Background(), "Blue-Ocean-77"); err != nil {
		t.Fatal(err)
	}
	seen := <-seenCh
	full := sha1Hex("Blue-Ocean-77")
	if !strings.Contains(seen, "/range/"+full[:5]) || strings.Contains(seen, full[5:10]) || strings.Contains(seen, "Blue") {
		t.Errorf("request %q", seen)
	}
}

func TestHIBPClientFailures(t *testing.T) {
	status500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer status500.Close()
	malformed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "not a hibp answer\n")
	}))
	defer malformed.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer slow.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	ctx := context.Background()
	for name, url := range map[string]string{"500": status500.URL, "malformed": malformed.URL, "timeout": slow.URL, "down": downURL} {
		var logged []error
		open := password.NewHIBPClient(password.WithHIBPBaseURL(url), password.WithHIBPTimeout(50*time.Millisecond), password.WithHIBPOnError(func(err error) { logged = append(logged, err) }))
		got, err := open.Breached(ctx, "Blue-Ocean-77")
		if got || err != nil || len(logged) != 1 {
			t.Errorf("%s, fail open: %v, %v, logged %v", name, got, err, logged)
		}
		if len(logged) == 1 && strings.Contains(logged[0].Error(), "Blue-Ocean") {
			t.Errorf("%s: error leaks the password: %v", name, logged[0])
		}
		closed := password.NewHIBPClient(password.WithHIBPBaseURL(url), password.WithHIBPTimeout(50*time.Millisecond), password.WithHIBPFailClosed())
		got, err = closed.Breached(ctx, "Blue-Ocean-77")
		if got || err == nil {
			t.Errorf("%s, fail closed: %v, %v", name, got, err)
		}
		// Through the policy: fail closed answers unavailable.
		p := password.DefaultPolicy()
		p.BreachChecker = closed
		if err := p.Validate(ctx, "Blue-Ocean-77", unrelated); !errors.Is(err, onboardkit.ErrUnavailable) {
			t.Errorf("%s, policy with fail-closed checker: %v", name, err)
		}
	}
}

func TestPolicyWithHIBP(t *testing.T) {
	srv, _ := hibpServer(t, map[string]int{"Blue-Ocean-77": 3})
	p := password.DefaultPolicy()
	p.BreachChecker = password.NewHIBPClient(password.WithHIBPBaseURL(srv.URL))
	if !hasCode(p.Validate(context.Background(), "Blue-Ocean-77", unrelated), onboardkit.FieldBreached) {
		t.Error("breached password accepted")
	}
	if err := p.Validate(context.Background(), "Green-Field-99", unrelated); err != nil {
		t.Errorf("clean password: %v", err)
	}
}
