// This file owns the verification of access tokens from a JWKS alone, for
// services other than the one running the Service.

package onboarding

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"

	"github.com/onboardkit/onboardkit"
)

// JWKSVerifier verifies access tokens from the JSON Web Key Set the Service
// publishes (JWKS, GET /.well-known/jwks.json), as a service that has no
// access to the store does: the signature, the issuer, the audience (when
// given) and the expiry.
//
// It cannot see what only the store knows. A token whose session ended
// (logout, a password change or reset, reuse detection), of a user an
// operator locked or who was erased, stays valid for it until the token
// expires (TokenConfig.AccessTTL, 15 minutes by default). Where those must
// take effect at once, call the Service's VerifyAccessToken (or
// httpapi.RequireUser with the Service), or keep AccessTTL short.
type JWKSVerifier struct {
	keys             map[string]tokenKey
	issuer, audience string
	clock            onboardkit.Clock
}

// NewJWKSVerifier returns a verifier of the keys of jwks, for tokens of
// issuer ("" is "onboardkit", the default TokenConfig.Issuer) and, when
// set, audience. clock may be nil (the system clock). Fetch the JWKS again
// after a key rotation.
func NewJWKSVerifier(jwks []byte, issuer, audience string, clock onboardkit.Clock) (*JWKSVerifier, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, fmt.Errorf("onboarding: jwks: %w", err)
	}
	if issuer == "" {
		issuer = "onboardkit"
	}
	v := &JWKSVerifier{keys: map[string]tokenKey{}, issuer: issuer, audience: audience, clock: clock}
	if v.clock == nil {
		v.clock = onboardkit.SystemClock
	}
	for _, k := range set.Keys {
		tk, err := k.tokenKey()
		if err != nil {
			return nil, fmt.Errorf("onboarding: jwks key %q: %w", k.Kid, err)
		}
		v.keys[k.Kid] = tk
	}
	if len(v.keys) == 0 {
		return nil, errors.New("onboarding: the jwks holds no key")
	}
	return v, nil
}

// tokenKey returns the verification key of k.
func (k jwk) tokenKey() (tokenKey, error) {
	x, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil {
		return tokenKey{}, errors.New("x is not base64url")
	}
	switch {
	case k.Kty == "OKP" && k.Crv == "Ed25519" && len(x) == ed25519.PublicKeySize:
		return tokenKey{id: k.Kid, method: jwt.SigningMethodEdDSA, public: ed25519.PublicKey(x)}, nil
	case k.Kty == "EC" && k.Crv == "P-256" && len(x) == 32:
		y, err := base64.RawURLEncoding.DecodeString(k.Y)
		if err != nil || len(y) != 32 {
			return tokenKey{}, errors.New("y is not a 32-byte base64url coordinate")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return tokenKey{}, err
		}
		return tokenKey{id: k.Kid, method: jwt.SigningMethodES256, public: pub}, nil
	}
	return tokenKey{}, fmt.Errorf("unsupported key %s/%s", k.Kty, k.Crv)
}

// VerifyAccessToken checks token against the JWKS and returns its claims,
// or an invalid_token *onboardkit.Error. It has the Service's signature,
// so httpapi.RequireUser takes either.
func (v *JWKSVerifier) VerifyAccessToken(_ context.Context, token string) (*AccessClaims, error) {
	return parseAccessToken(token, v.clock.Now(), v.issuer, v.audience, func(kid string) (tokenKey, bool) {
		k, ok := v.keys[kid]
		return k, ok
	})
}
