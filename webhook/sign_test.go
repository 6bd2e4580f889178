package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/webhook"
)

// The test vector of the Standard Webhooks reference libraries.
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS     = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// independentVerify checks a message the way the specification describes
// it, written apart from the package: strip the prefix, base64-decode the
// key, HMAC-SHA256 over "id.timestamp.body", compare with each v1 entry.
func independentVerify(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", h.Get("Webhook-Id"), h.Get("Webhook-Timestamp"), body)
	want := mac.Sum(nil)
	for _, part := range strings.Split(h.Get("Webhook-Signature"), " ") {
		version, sig, ok := strings.Cut(part, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if ok && version == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func TestSignMatchesTheSpecificationVector(t *testing.T) {
	sig, err := webhook.Sign(vectorSecret, vectorID, time.Unix(vectorTS, 0), []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if sig != vectorSig {
		t.Fatalf("Sign = %s, want %s", sig, vectorSig)
	}
	h := http.Header{}
	h.Set(webhook.HeaderID, vectorID)
	h.Set(webhook.HeaderTimestamp, fmt.Sprint(vectorTS))
	h.Set(webhook.HeaderSignature, sig)
	if !independentVerify(vectorSecret, h, []byte(vectorBody)) {
		t.Fatal("the independent check refuses the signature")
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(vectorTS, 0)
	good := func() http.Header {
		h := http.Header{}
		h.Set(webhook.HeaderID, vectorID)
		h.Set(webhook.HeaderTimestamp, fmt.Sprint(vectorTS))
		h.Set(webhook.HeaderSignature, "v1,bm90IGl0 "+vectorSig)
		return h
	}
	tests := []struct {
		name string
		mod  func(h http.Header, body *string)
		at   time.Time
		ok   bool
	}{
		{"valid, the second of two signatures", func(http.Header, *string) {}, now, true},
		{"within tolerance", func(http.Header, *string) {}, now.Add(4 * time.Minute), true},
		{"too old", func(http.Header, *string) {}, now.Add(6 * time.Minute), false},
		{"from the future", func(http.Header, *string) {}, now.Add(-6 * time.Minute), false},
		{"body altered", func(_ http.Header, b *string) { *b += " " }, now, false},
		{"id altered", func(h http.Header, _ *string) { h.Set(webhook.HeaderID, "msg_other") }, now, false},
		{"no signature", func(h http.Header, _ *string) { h.Del(webhook.HeaderSignature) }, now, false},
		{"timestamp not a number", func(h http.Header, _ *string) { h.Set(webhook.HeaderTimestamp, "soon") }, now, false},
		{"v2 scheme only", func(h http.Header, _ *string) {
			h.Set(webhook.HeaderSignature, strings.Replace(vectorSig, "v1,", "v2,", 1))
		}, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body := good(), vectorBody
			tt.mod(h, &body)
			err := webhook.Verify(vectorSecret, h, []byte(body), tt.at, 0)
			if tt.ok != (err == nil) {
				t.Fatalf("Verify = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, webhook.ErrSignature) {
				t.Fatalf("%v does not match ErrSignature", err)
			}
		})
	}
	for _, bad := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!", "whsec_c2hvcnQ="} {
		if _, err := webhook.Sign(bad, "id", now, nil); err == nil {
			t.Errorf("secret %q accepted", bad)
		}
	}
}
