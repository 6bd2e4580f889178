package httpapi

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/onboarding"
)

// HeaderRequestID carries the request id, read from requests when well-formed
// and always set on responses.
const HeaderRequestID = "X-Request-Id"

type requestIDCtx struct{}

// RequestID returns the id of the request being served, as logged and echoed
// in the X-Request-Id response header.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDCtx{}).(string)
	return id
}

// validRequestID accepts 1 to 128 characters of [A-Za-z0-9._:-].
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// statusRecorder remembers the status and problem code of a response for the
// access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	code   onboardkit.Code
}

func (s *statusRecorder) WriteHeader(status int) {
	if s.status == 0 {
		s.status = status
	}
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// serveObserved runs next with a request id, panic recovery and one access-log
// line per request.
func (a *api) serveObserved(w http.ResponseWriter, r *http.Request) {
	start := a.clock.Now()
	id := r.Header.Get(HeaderRequestID)
	if !validRequestID(id) {
		id = a.newRequestID()
	}
	w.Header().Set(HeaderRequestID, id)
	rec := &statusRecorder{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), requestIDCtx{}, id))
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// The panic value may hold request data: log its type and
			// the stack only.
			a.log.Error("panic serving request", "request_id", id, "route", r.Pattern,
				"panic_type", fmt.Sprintf("%T", v), "stack", string(debug.Stack()))
			if rec.status == 0 {
				WriteError(rec, &onboardkit.Error{Code: onboardkit.CodeInternal})
			} else {
				rec.status = http.StatusInternalServerError
			}
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", r.Pattern),
			slog.Int("status", status),
			slog.Duration("duration", a.clock.Now().Sub(start)),
			slog.String("request_id", id),
		}
		if rec.code != "" {
			attrs = append(attrs, slog.String("code", string(rec.code)))
		}
		a.log.LogAttrs(r.Context(), level, "http request", attrs...)
	}()
	a.mux.ServeHTTP(rec, r)
}

func (a *api) newRequestID() string {
	var b [16]byte
	if _, err := io.ReadFull(a.rand, b[:]); err != nil {
		return "unknown"
	}
	return hex.EncodeToString(b[:])
}

// Claims returns the verified access-token claims of a [user] request (as
// onboarding.FromContext does).
func Claims(ctx context.Context) (*onboarding.AccessClaims, bool) {
	return onboarding.FromContext(ctx)
}

// requireUser checks the bearer token with the Service and puts its claims in
// the request context.
func (a *api) requireUser(next http.Handler) http.Handler { return RequireUser(a.svc)(next) }

// bearerToken extracts the token of an "Authorization: Bearer <token>" header
// (scheme case-insensitive).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 8192 || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}
