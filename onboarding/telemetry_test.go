package onboarding

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/storage/memory"
)

// counts sums a counter's data points by the attributes named, joined.
func counts(t *testing.T, rm metricdata.ResourceMetrics, name string, keys ...string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			require.True(t, ok, "%s is a counter", name)
			for _, dp := range sum.DataPoints {
				var parts []string
				for _, k := range keys {
					v, _ := dp.Attributes.Value(attribute.Key(k))
					parts = append(parts, v.AsString())
				}
				out[strings.Join(parts, " ")] += dp.Value
			}
		}
	}
	return out
}

// TestTelemetry: steps make spans and durations, events and codes are
// counted, and no attribute holds a contact detail or a code.
func TestTelemetry(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	h := newHarness(t, memory.New(), func(c *Config) {
		c.Meter = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		c.Tracer = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	})
	ctx := context.Background()
	phone := newPhone()
	res, code := h.signUp(phone)
	_, err := h.svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, "000000")
	requireCode(t, err, onboardkit.CodeInvalidCode)
	_, err = h.svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, code)
	require.NoError(t, err)
	_, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: "wrong-Password-1"})
	requireCode(t, err, onboardkit.CodeInvalidCredentials)
	_, err = h.login(phone, testPassword, phone)
	require.NoError(t, err)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	events := counts(t, rm, "onboardkit.events", "type", "reason")
	assert.Equal(t, int64(1), events["user.registered "])
	assert.Equal(t, int64(1), events["login.failed password"])
	assert.Equal(t, int64(1), events["login.succeeded "])
	codesByResult := counts(t, rm, "onboardkit.codes", "result", "channel", "purpose", "reason")
	assert.Equal(t, int64(2), codesByResult["sent sms phone_confirmation "]+codesByResult["sent sms login "], "the sign-up and login codes")
	assert.Equal(t, int64(1), codesByResult["failed  phone_confirmation invalid_code"])
	assert.Equal(t, int64(2), codesByResult["verified sms phone_confirmation "]+codesByResult["verified sms login "])

	var steps []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "onboardkit.step.duration" {
				for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
					s, _ := dp.Attributes.Value("step")
					o, _ := dp.Attributes.Value("outcome")
					steps = append(steps, s.AsString()+" "+o.AsString())
				}
			}
		}
	}
	assert.Contains(t, steps, "SignUp ok")
	assert.Contains(t, steps, "ConfirmPhone invalid_code")
	assert.Contains(t, steps, "Login invalid_credentials")

	var failed bool
	for _, s := range spans.Ended() {
		if s.Name() == "onboarding.ConfirmPhone" && s.Status().Code == codes.Error {
			failed = true
			assert.Equal(t, "invalid_code", s.Status().Description, "the code, never the message")
		}
		for _, a := range s.Attributes() {
			assert.NotContains(t, a.Value.String(), phone[3:])
		}
	}
	assert.True(t, failed, "a failed step's span says so")
	all := fmt.Sprint(rm)
	for _, secret := range []string{phone[3:], code, testPassword} {
		assert.NotContains(t, all, secret)
	}
}

// TestAudienceHostClaimsAndJWKS: access tokens carry the audience and the
// host's claims; a JWKS verifier checks them from the key set alone, and
// cannot see a logout the Service sees.
func TestAudienceHostClaimsAndJWKS(t *testing.T) {
	h := newHarness(t, memory.New(), func(c *Config) {
		c.Tokens.Audience = "orders-api"
		c.Tokens.HostClaims = func(_ context.Context, userID string) (map[string]any, error) {
			return map[string]any{"tenant": "acme", "plan": "gold"}, nil
		}
	})
	ctx := context.Background()
	phone := newPhone()
	a := h.confirmed(phone)
	claims, err := h.svc.VerifyAccessToken(ctx, a.Tokens.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"tenant": "acme", "plan": "gold"}, claims.Extra)

	v, err := NewJWKSVerifier(h.svc.JWKS(), "", "orders-api", h.clock)
	require.NoError(t, err)
	jc, err := v.VerifyAccessToken(ctx, a.Tokens.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, a.UserID, jc.UserID)
	assert.Equal(t, "acme", jc.Extra["tenant"])

	other, err := NewJWKSVerifier(h.svc.JWKS(), "", "another-api", h.clock)
	require.NoError(t, err)
	_, err = other.VerifyAccessToken(ctx, a.Tokens.AccessToken)
	requireCode(t, err, onboardkit.CodeInvalidToken)

	require.NoError(t, h.svc.Logout(ctx, a.UserID, a.Tokens.RefreshToken))
	_, err = h.svc.VerifyAccessToken(ctx, a.Tokens.AccessToken)
	requireCode(t, err, onboardkit.CodeInvalidToken)
	_, err = v.VerifyAccessToken(ctx, a.Tokens.AccessToken)
	assert.NoError(t, err, "the JWKS alone cannot see a logout")
	h.clock.Advance(16 * time.Minute)
	_, err = v.VerifyAccessToken(ctx, a.Tokens.AccessToken)
	requireCode(t, err, onboardkit.CodeInvalidToken)

	// Host claims may not shadow the module's.
	bad := newHarness(t, memory.New(), func(c *Config) {
		c.Tokens.HostClaims = func(context.Context, string) (map[string]any, error) { return map[string]any{"sub": "x"}, nil }
		c.Rand = newSeqReader(7)
	})
	res, code := bad.signUp(newPhone())
	_, err = bad.svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, code)
	require.Error(t, err)
	for _, j := range []string{`{}`, `{"keys":[]}`, `{"keys":[{"kty":"RSA","kid":"r"}]}`, `not json`} {
		_, err := NewJWKSVerifier([]byte(j), "", "", nil)
		assert.Error(t, err, j)
	}
}
