package httpapi

import (
	"context"
	"net/http"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/onboarding"
)

// TokenVerifier verifies access tokens: an *onboarding.Service (every
// check, the session and the lock included, in the store) or an
// *onboarding.JWKSVerifier (the signature, issuer, audience and expiry
// only, for a service without the store).
type TokenVerifier interface {
	VerifyAccessToken(ctx context.Context, token string) (*onboarding.AccessClaims, error)
}

// RequireUser returns middleware for the host's own routes that need a
// user: a request without a valid bearer access token gets the API's 401
// problem (WWW-Authenticate: Bearer); otherwise next runs with the
// verified claims in the request context (Claims reads them).
//
//	mux.Handle("GET /orders", httpapi.RequireUser(svc)(ordersHandler))
//	// in ordersHandler: c, _ := httpapi.Claims(r.Context()); c.UserID, c.Roles
func RequireUser(v TokenVerifier) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, ok := bearerToken(r.Header.Get("Authorization"))
			if !ok {
				// RFC 6750 §3.1: no error code when no credentials were sent.
				w.Header().Set("WWW-Authenticate", "Bearer")
				WriteError(w, &onboardkit.Error{Code: onboardkit.CodeInvalidToken, Message: "An access token is required."})
				return
			}
			claims, err := v.VerifyAccessToken(r.Context(), token)
			if err != nil {
				WriteError(w, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(onboarding.NewContext(r.Context(), claims)))
		})
	}
}
