// This file owns the signing of access tokens (JWT, EdDSA or ES256, with
// key rotation and the JWKS) and the derivation and hashing of refresh
// tokens; sessions.go decides when they are issued and refused.

package onboarding

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/storage"
)

// SigningKey is a private key that signs access tokens, with its key id
// (the JWT "kid" header and the JWKS "kid").
type SigningKey struct {
	// ID is the key id. It must be unique among the configured keys.
	ID string
	// Key is an ed25519.PrivateKey (EdDSA, the default) or an
	// *ecdsa.PrivateKey on P-256 (ES256).
	Key crypto.Signer
}

// NewSigningKey generates an Ed25519 signing key from r (crypto/rand.Reader
// when nil) with the given key id. Every replica must share the same keys:
// generate once and load them from the host's secret store.
func NewSigningKey(id string, r io.Reader) (SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return SigningKey{}, fmt.Errorf("onboarding: generate signing key: %w", err)
	}
	return SigningKey{ID: id, Key: priv}, nil
}

// TokenConfig configures access and refresh tokens.
type TokenConfig struct {
	// SigningKey signs new access tokens. Required.
	SigningKey SigningKey
	// VerificationKeys are earlier signing keys whose tokens are still
	// accepted during a key rotation (only their public halves are used).
	VerificationKeys []SigningKey
	// Issuer is the "iss" claim (default "onboardkit").
	Issuer string
	// Audience, when set, is the "aud" claim of access tokens, and
	// verification (VerifyAccessToken, JWKSVerifier) requires it: set it
	// to the name of the API the tokens are for.
	Audience string
	// HostClaims, when set, adds the host's own claims to every access
	// token: it runs at each issue (a login, a confirmation, a refresh)
	// with the user id. Its names must not be the module's (iss, sub,
	// aud, exp, iat, nbf, jti, status, sid, roles); an error fails the
	// step. Verification returns them in AccessClaims.Extra.
	HostClaims func(ctx context.Context, userID string) (map[string]any, error)
	// AccessTTL is the access-token lifetime (default 15 minutes).
	AccessTTL time.Duration
	// RefreshIdleTTL is how long an unused refresh token stays valid
	// (default 30 days).
	RefreshIdleTTL time.Duration
	// RefreshAbsoluteTTL bounds a refresh-token family from its login,
	// however often it rotates (default 90 days).
	RefreshAbsoluteTTL time.Duration
	// StatelessAccess turns off the per-request session check of
	// VerifyAccessToken: by default an access token is refused as soon as
	// its session ends (logout, password change or reset, a lock, reuse
	// detection), at the cost of one more store read per verification.
	// With StatelessAccess an access token stays valid until it expires
	// (AccessTTL) after its session ended; only the user's cutoff and lock
	// still apply.
	StatelessAccess bool
	// ReuseGrace, when positive, lets a client that lost a refresh response
	// present the just-rotated token again within this interval and receive
	// the same new refresh token instead of a family revocation. Off (0) by
	// default, as RFC 9700 §4.14.2 recommends.
	ReuseGrace time.Duration
}

func (c *TokenConfig) setDefaults() {
	if c.Issuer == "" {
		c.Issuer = "onboardkit"
	}
	if c.AccessTTL <= 0 {
		c.AccessTTL = 15 * time.Minute
	}
	if c.RefreshIdleTTL <= 0 {
		c.RefreshIdleTTL = 30 * 24 * time.Hour
	}
	if c.RefreshAbsoluteTTL <= 0 {
		c.RefreshAbsoluteTTL = 90 * 24 * time.Hour
	}
}

// Tokens is a pair of tokens as returned to a client, with the device token
// of a login.
type Tokens struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int    `json:"expiresIn"`
	// DeviceToken identifies this device to later logins of the user
	// (LoginRequest.DeviceToken); set by a login and a sign-up
	// confirmation. It is not a credential: it only keeps the device's
	// login throttle apart from strangers'.
	DeviceToken string `json:"deviceToken,omitempty"`
}

// AccessClaims are the verified claims of an access token.
type AccessClaims struct {
	UserID string
	Status Status
	// SessionID is the session (refresh-token family) the token belongs
	// to: its "sid" claim.
	SessionID string
	// Roles are the roles an operator gave the user (the "roles" claim),
	// as they were when the token was issued.
	Roles     []string
	TokenID   string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Extra holds the host's claims (TokenConfig.HostClaims).
	Extra map[string]any
	// cutoff is the "tva" claim (see signAccess); nil for tokens signed
	// before the claim existed.
	cutoff *int64
}

// reservedClaims are the claim names the module sets.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "status", "sid", "roles", "tva"}

// cutoffMicros is a token cutoff (User.TokensValidAfter) as the "tva"
// claim holds it: Unix microseconds, the precision every store keeps; 0
// for none.
func cutoffMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

type tokenKey struct {
	id     string
	method jwt.SigningMethod
	signer crypto.Signer
	public crypto.PublicKey
}

func newTokenKey(k SigningKey) (tokenKey, error) {
	if k.ID == "" {
		return tokenKey{}, errors.New("onboarding: signing key has no ID")
	}
	switch key := k.Key.(type) {
	case ed25519.PrivateKey:
		return tokenKey{id: k.ID, method: jwt.SigningMethodEdDSA, signer: key, public: key.Public()}, nil
	case *ecdsa.PrivateKey:
		if key.Curve != elliptic.P256() {
			return tokenKey{}, fmt.Errorf("onboarding: signing key %q: only P-256 ECDSA keys are supported", k.ID)
		}
		return tokenKey{id: k.ID, method: jwt.SigningMethodES256, signer: key, public: key.Public()}, nil
	case nil:
		return tokenKey{}, fmt.Errorf("onboarding: signing key %q has no key", k.ID)
	default:
		return tokenKey{}, fmt.Errorf("onboarding: signing key %q: unsupported key type %T", k.ID, k.Key)
	}
}

// tokenIssuer signs and verifies access tokens and derives refresh tokens.
type tokenIssuer struct {
	cfg     TokenConfig
	current tokenKey
	keys    map[string]tokenKey
	// rotateKey derives the next refresh token from the presented one, so
	// that a grace-period replay can be answered with the same new token
	// without storing any token in clear.
	rotateKey []byte
	jwks      []byte
}

func newTokenIssuer(cfg TokenConfig, secret []byte) (*tokenIssuer, error) {
	cfg.setDefaults()
	cur, err := newTokenKey(cfg.SigningKey)
	if err != nil {
		return nil, err
	}
	t := &tokenIssuer{cfg: cfg, current: cur, keys: map[string]tokenKey{cur.id: cur}}
	for _, k := range cfg.VerificationKeys {
		tk, err := newTokenKey(k)
		if err != nil {
			return nil, err
		}
		if _, dup := t.keys[tk.id]; dup {
			return nil, fmt.Errorf("onboarding: duplicate signing key id %q", tk.id)
		}
		t.keys[tk.id] = tk
	}
	t.rotateKey = deriveKey(secret, "onboardkit refresh rotation")
	t.jwks, err = buildJWKS(append([]SigningKey{cfg.SigningKey}, cfg.VerificationKeys...))
	if err != nil {
		return nil, err
	}
	return t, nil
}

// signAccess signs an access token of the user u as read by the step that
// issues it. Its "tva" claim is the user's token cutoff (TokensValidAfter,
// in microseconds) in that read: a token signed from a read made before a
// change of the cutoff committed (a role change, a lock, a sign-out
// everywhere racing a refresh) carries the old one, and verification
// refuses it even when it was issued in the cutoff's second.
func (t *tokenIssuer) signAccess(ctx context.Context, u *storage.User, sessionID, jti string, now time.Time) (string, error) {
	claims := jwt.MapClaims{
		"iss": t.cfg.Issuer, "sub": u.ID, "iat": now.Unix(), "exp": now.Add(t.cfg.AccessTTL).Unix(), "jti": jti,
		"status": string(Status(u.Status)), "tva": cutoffMicros(u.TokensValidAfter),
	}
	userID, roles := u.ID, u.Roles
	if sessionID != "" {
		claims["sid"] = sessionID
	}
	if len(roles) > 0 {
		claims["roles"] = roles
	}
	if t.cfg.Audience != "" {
		claims["aud"] = t.cfg.Audience
	}
	if t.cfg.HostClaims != nil {
		extra, err := t.cfg.HostClaims(ctx, userID)
		if err != nil {
			return "", fmt.Errorf("onboarding: host claims: %w", err)
		}
		for k, v := range extra {
			if slices.Contains(reservedClaims, k) {
				return "", fmt.Errorf("onboarding: host claims: %q is a claim of the module", k)
			}
			claims[k] = v
		}
	}
	tok := jwt.NewWithClaims(t.current.method, claims)
	tok.Header["kid"] = t.current.id
	return tok.SignedString(t.current.signer)
}

// parseAccess verifies signature, issuer, audience and expiry against now.
func (t *tokenIssuer) parseAccess(raw string, now time.Time) (*AccessClaims, error) {
	return parseAccessToken(raw, now, t.cfg.Issuer, t.cfg.Audience, func(kid string) (tokenKey, bool) {
		k, ok := t.keys[kid]
		return k, ok
	})
}

// parseAccessToken verifies an access token with the keys lookup returns
// by key id.
func parseAccessToken(raw string, now time.Time, issuer, audience string, lookup func(kid string) (tokenKey, bool)) (*AccessClaims, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg(), jwt.SigningMethodES256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	}
	if audience != "" {
		opts = append(opts, jwt.WithAudience(audience))
	}
	c := jwt.MapClaims{}
	_, err := jwt.NewParser(opts...).ParseWithClaims(raw, c, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		k, ok := lookup(kid)
		if !ok {
			return nil, errors.New("unknown key id")
		}
		if tok.Method.Alg() != k.method.Alg() {
			return nil, errors.New("algorithm does not match the key")
		}
		return k.public, nil
	})
	out := &AccessClaims{}
	if err == nil {
		err = claimsOf(c, out)
	}
	if err != nil || out.UserID == "" {
		return nil, &onboardkit.Error{Code: onboardkit.CodeInvalidToken, Message: onboardkit.CodeInvalidToken.Message(), Err: err}
	}
	return out, nil
}

// claimsOf reads verified map claims into out.
func claimsOf(c jwt.MapClaims, out *AccessClaims) error {
	str := func(k string) string { v, _ := c[k].(string); return v }
	out.UserID, out.Status, out.SessionID, out.TokenID = str("sub"), Status(str("status")), str("sid"), str("jti")
	iat, err := c.GetIssuedAt()
	if err != nil || iat == nil {
		return errors.New("no issued-at claim")
	}
	exp, err := c.GetExpirationTime()
	if err != nil || exp == nil {
		return errors.New("no expiry claim")
	}
	out.IssuedAt, out.ExpiresAt = iat.Time, exp.Time
	if v, ok := c["tva"].(float64); ok {
		n := int64(v)
		out.cutoff = &n
	}
	if rs, ok := c["roles"].([]any); ok {
		for _, r := range rs {
			if s, ok := r.(string); ok {
				out.Roles = append(out.Roles, s)
			}
		}
	}
	for k, v := range c {
		if !slices.Contains(reservedClaims, k) {
			if out.Extra == nil {
				out.Extra = map[string]any{}
			}
			out.Extra[k] = v
		}
	}
	return nil
}

// nextRefresh derives the refresh token that replaces presented.
func (t *tokenIssuer) nextRefresh(presented string) string {
	m := hmac.New(sha256.New, t.rotateKey)
	m.Write([]byte(presented))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// hashRefresh is the stored form of a refresh token. Tokens are 256-bit
// random (or derived by HMAC), so a plain SHA-256 is enough.
func hashRefresh(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func deriveKey(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y,omitempty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

func buildJWKS(keys []SigningKey) ([]byte, error) {
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range keys {
		switch pub := k.Key.Public().(type) {
		case ed25519.PublicKey:
			set.Keys = append(set.Keys, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), Kid: k.ID, Alg: "EdDSA", Use: "sig"})
		case *ecdsa.PublicKey:
			b, err := pub.Bytes() // uncompressed point 0x04||X||Y
			if err != nil {
				return nil, err
			}
			set.Keys = append(set.Keys, jwk{Kty: "EC", Crv: "P-256",
				X: base64.RawURLEncoding.EncodeToString(b[1:33]), Y: base64.RawURLEncoding.EncodeToString(b[33:65]),
				Kid: k.ID, Alg: "ES256", Use: "sig"})
		}
	}
	return json.Marshal(set)
}
