package httpapi

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/ratelimit"
)

// Headers of the integrator request signature.
const (
	HeaderPubkey    = "X-Pubkey"
	HeaderTimestamp = "X-Timestamp"
	HeaderSignature = "X-Signature"
)

// DefaultMaxSkew is how far the X-Timestamp of a signed request may be from
// the server clock, either way.
const DefaultMaxSkew = 60 * time.Second

// maxSignatureHex bounds the X-Signature header: a DER ECDSA P-256 signature
// is at most 72 bytes.
const maxSignatureHex = 2 + 2*72

// SignatureConfig configures RequireSignature. The zero value is usable.
type SignatureConfig struct {
	// MaxSkew is the accepted distance between X-Timestamp and the clock
	// (default DefaultMaxSkew, 60 s).
	MaxSkew time.Duration
	// Replay remembers used signatures (default:
	// ratelimit.NewMemoryReplayCache on the Runtime's clock, which protects
	// one process only). Behind several replicas give a shared one —
	// postgres.Store.ReplayCache or redisrate — so a signature accepted by
	// one replica is refused by every other.
	Replay ratelimit.ReplayCache
}

// signatureChallenge is the WWW-Authenticate of a request whose signature
// is missing or wrong: the scheme names the signed request of docs/API.md
// and the headers it needs.
const signatureChallenge = `ECDSA-P256-SHA256 headers="X-Pubkey X-Timestamp X-Signature"`

type (
	integratorKeyCtx struct{}
	operatorKeyCtx   struct{}
)

// IntegratorKey returns the compressed public key (hex with 0x) of the
// integrator whose signature RequireSignature accepted for the request.
func IntegratorKey(ctx context.Context) (string, bool) {
	k, ok := ctx.Value(integratorKeyCtx{}).(string)
	return k, ok
}

// OperatorKey returns the compressed public key (hex with 0x, the form of
// FormatPublicKeyHex) of the operator whose signature the handler accepted
// for an [operator] request: one of Config.OperatorKeys. The handler names
// it as the onboarding.Actor of the operator's actions.
func OperatorKey(ctx context.Context) (string, bool) {
	k, ok := ctx.Value(operatorKeyCtx{}).(string)
	return k, ok
}

// RequireSignature returns middleware that accepts only requests signed by one
// of keys (P-256 public keys) under the scheme of docs/API.md:
//
//	X-Pubkey:    0x + hex of the compressed SEC 1 point (33 bytes)
//	X-Timestamp: Unix seconds, within MaxSkew of the clock
//	X-Signature: 0x + hex of the DER ECDSA signature of
//	             SHA-256(timestamp + METHOD + path_and_query + body)
//
// Each signature is accepted once (see ReplayCache); a signature and its
// malleated twin (r, n-s) count as the same. The body is read whole (cap it
// before, as New does) and handed on unchanged. Refusals are 401
// invalid_signature problems; a failing replay cache is a 503.
//
// rt.Clock is the server clock timestamps are compared with.
func RequireSignature(keys []*ecdsa.PublicKey, cfg SignatureConfig, rt onboardkit.Runtime) func(http.Handler) http.Handler {
	return requireSignature(keys, cfg, rt, integratorKeyCtx{})
}

// requireSignature is RequireSignature putting the verified key in the
// request context under ctxKey (integratorKeyCtx or operatorKeyCtx): the
// allow-lists of integrators and operators are two instances of one check,
// and a key passes only the routes of its own list.
func requireSignature(keys []*ecdsa.PublicKey, cfg SignatureConfig, rt onboardkit.Runtime, ctxKey any) func(http.Handler) http.Handler {
	opts := signatureCheck{SignatureConfig: cfg, clock: rt.WithDefaults().Clock}
	if opts.MaxSkew <= 0 {
		opts.MaxSkew = DefaultMaxSkew
	}
	if opts.Replay == nil {
		opts.Replay = ratelimit.NewMemoryReplayCache(ratelimit.WithReplayClock(opts.clock))
	}
	allowed := make(map[string]*ecdsa.PublicKey, len(keys))
	for _, k := range keys {
		if c, err := compressKey(k); err == nil {
			allowed[string(c)] = k
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key, err := verifyRequest(r, allowed, opts)
			if err != nil {
				WriteError(w, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey, key)))
		})
	}
}

func badSignature(msg string) error {
	return &onboardkit.Error{Code: onboardkit.CodeInvalidSignature, Message: msg}
}

// verifyRequest checks the signature headers of r and returns the hex key.
// signatureCheck is a SignatureConfig with its defaults and clock.
type signatureCheck struct {
	SignatureConfig
	clock onboardkit.Clock
}

func verifyRequest(r *http.Request, allowed map[string]*ecdsa.PublicKey, opts signatureCheck) (string, error) {
	pubHex := r.Header.Get(HeaderPubkey)
	tsText := r.Header.Get(HeaderTimestamp)
	sigHex := r.Header.Get(HeaderSignature)
	if pubHex == "" || tsText == "" || sigHex == "" {
		return "", badSignature("The X-Pubkey, X-Timestamp and X-Signature headers are required.")
	}
	compressed, err := decodeHex0x(pubHex, 33)
	if err != nil {
		return "", badSignature("X-Pubkey must be a compressed P-256 point in hex with 0x.")
	}
	pub, ok := allowed[string(compressed)]
	if !ok {
		return "", badSignature("The key is not allowed.")
	}
	ts, err := parseTimestamp(tsText)
	if err != nil {
		return "", badSignature("X-Timestamp must be Unix seconds.")
	}
	now := opts.clock.Now()
	if d := now.Sub(ts); d > opts.MaxSkew || d < -opts.MaxSkew {
		return "", badSignature("X-Timestamp is too far from the server clock.")
	}
	if len(sigHex) > maxSignatureHex {
		return "", badSignature("X-Signature must be a DER signature in hex with 0x.")
	}
	sig, err := decodeHex0x(sigHex, -1)
	if err != nil {
		return "", badSignature("X-Signature must be a DER signature in hex with 0x.")
	}
	body, err := readBody(r)
	if err != nil {
		return "", err
	}
	if !verifyMessage(pub, signedMessage(tsText, r.Method, r.URL.RequestURI(), body), sig) {
		return "", badSignature("The signature does not match the request.")
	}
	replayKey, err := replayKeyOf(compressed, sig)
	if err != nil {
		return "", badSignature("The signature does not match the request.")
	}
	fresh, err := opts.Replay.Use(r.Context(), replayKey, ts.Add(opts.MaxSkew))
	if err != nil {
		return "", &onboardkit.Error{Code: onboardkit.CodeUnavailable, Message: "The request cannot be checked now; retry.", Err: err}
	}
	if !fresh {
		return "", badSignature("The signature was already used.")
	}
	return "0x" + hex.EncodeToString(compressed), nil
}

// readBody reads the whole body and puts an identical one back.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		if tooLarge(err) {
			return nil, decodeError(err)
		}
		return nil, httpError(CodeMalformedRequest, "The request body could not be read.")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// signedMessage is the byte string whose SHA-256 is signed.
func signedMessage(ts, method, pathAndQuery string, body []byte) []byte {
	msg := make([]byte, 0, len(ts)+len(method)+len(pathAndQuery)+len(body))
	msg = append(msg, ts...)
	msg = append(msg, method...)
	msg = append(msg, pathAndQuery...)
	return append(msg, body...)
}

// verifyMessage is the verifier core: it reports whether der is a valid
// strict-DER ECDSA signature by pub of SHA-256(message).
func verifyMessage(pub *ecdsa.PublicKey, message, der []byte) bool {
	h := sha256.Sum256(message)
	return ecdsa.VerifyASN1(pub, h[:], der)
}

// p256HalfOrder is n/2 for low-s normalisation.
var (
	p256Order     = elliptic.P256().Params().N
	p256HalfOrder = new(big.Int).Rsh(p256Order, 1)
)

// replayKeyOf derives the replay-cache key of a verified signature:
// SHA-256(pubkey | r | min(s, n-s)), so the malleated twin (r, n-s) of a
// signature maps to the same key.
func replayKeyOf(compressedPub, der []byte) ([32]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 || sig.R == nil || sig.S == nil {
		return [32]byte{}, errors.New("httpapi: bad signature encoding")
	}
	s := sig.S
	if s.Cmp(p256HalfOrder) > 0 {
		s = new(big.Int).Sub(p256Order, s)
	}
	var buf [33 + 32 + 32]byte
	copy(buf[:33], compressedPub)
	sig.R.FillBytes(buf[33:65])
	s.FillBytes(buf[65:])
	return sha256.Sum256(buf[:]), nil
}

// parseTimestamp parses decimal Unix seconds strictly: digits only, at most
// 12 of them.
func parseTimestamp(s string) (time.Time, error) {
	if len(s) == 0 || len(s) > 12 {
		return time.Time{}, errors.New("httpapi: bad timestamp")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, errors.New("httpapi: bad timestamp")
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(n, 0).UTC(), nil
}

// decodeHex0x decodes "0x" + hex (either case). want is the exact byte length
// required, or -1 for any non-empty length.
func decodeHex0x(s string, want int) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, "0x")
	if !ok || rest == "" {
		return nil, errors.New("httpapi: hex must start with 0x")
	}
	if want >= 0 && len(rest) != 2*want {
		return nil, fmt.Errorf("httpapi: want %d bytes of hex", want)
	}
	return hex.DecodeString(rest)
}

// ParsePublicKeyHex parses a P-256 public key given as "0x" followed by the
// hex (either case) of its compressed SEC 1 encoding (33 bytes starting with
// 02 or 03), the form of the X-Pubkey header and of the example server's
// -integrator-key flag. The point must be on the curve.
func ParsePublicKeyHex(s string) (*ecdsa.PublicKey, error) {
	b, err := decodeHex0x(s, 33)
	if err != nil {
		return nil, err
	}
	return parseCompressed(b)
}

// parseCompressed decodes a compressed SEC 1 P-256 point.
func parseCompressed(b []byte) (*ecdsa.PublicKey, error) {
	if len(b) != 33 || (b[0] != 2 && b[0] != 3) {
		return nil, errors.New("httpapi: not a compressed P-256 point")
	}
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), b)
	if x == nil {
		return nil, errors.New("httpapi: point not on P-256")
	}
	var raw [65]byte
	raw[0] = 4
	x.FillBytes(raw[1:33])
	y.FillBytes(raw[33:])
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw[:])
}

// compressKey returns the compressed SEC 1 encoding of a P-256 key.
func compressKey(pub *ecdsa.PublicKey) ([]byte, error) {
	if pub == nil || pub.Curve != elliptic.P256() {
		return nil, errors.New("httpapi: not a P-256 key")
	}
	raw, err := pub.Bytes()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 33)
	out[0] = 2 | raw[64]&1
	copy(out[1:], raw[1:33])
	return out, nil
}

// FormatPublicKeyHex returns the X-Pubkey form of a P-256 public key: "0x"
// and the lowercase hex of its compressed SEC 1 encoding.
func FormatPublicKeyHex(pub *ecdsa.PublicKey) (string, error) {
	c, err := compressKey(pub)
	if err != nil {
		return "", err
	}
	return "0x" + hex.EncodeToString(c), nil
}

// Sign signs req for an [integrator] route at time now with key, setting the
// X-Pubkey, X-Timestamp and X-Signature headers. It reads the body and puts an
// identical one back (GetBody and ContentLength too), so req can be sent as
// is. The path and query signed are req.URL.RequestURI(), which is what the
// server sees unless a proxy rewrites the path.
func Sign(req *http.Request, key *ecdsa.PrivateKey, now time.Time) error {
	if key == nil {
		return errors.New("httpapi: nil signing key")
	}
	pubHex, err := FormatPublicKeyHex(&key.PublicKey)
	if err != nil {
		return err
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return fmt.Errorf("httpapi: read body: %w", err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req.ContentLength = int64(len(body))
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	h := sha256.Sum256(signedMessage(ts, method, req.URL.RequestURI(), body))
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		return fmt.Errorf("httpapi: sign: %w", err)
	}
	req.Header.Set(HeaderPubkey, pubHex)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, "0x"+hex.EncodeToString(sig))
	return nil
}
