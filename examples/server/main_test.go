package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/storage/memory"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8080", c.addr)
	assert.Equal(t, "", c.outbox, "the outbox is never enabled implicitly")
	assert.Equal(t, "bitcoin", c.chain)

	_, err = parseFlags([]string{"-portfolio-chain", "dogecoin"}, io.Discard)
	assert.Error(t, err)
	_, err = parseFlags([]string{"-integrator-key", "02abcd"}, io.Discard)
	assert.Error(t, err, "0x is required")
	_, err = parseFlags([]string{"-trusted-proxy", "nope"}, io.Discard)
	assert.Error(t, err)
}

func TestKeygenAndSign(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "k.pem")
	var out bytes.Buffer
	require.NoError(t, keygen([]string{"-out", keyPath}, &out))
	pubHex := strings.TrimSpace(out.String())
	c, err := parseFlags([]string{"-integrator-key", pubHex, "-integrator-key", pubHex}, io.Discard)
	require.NoError(t, err)
	require.Len(t, c.integratorKeys, 2)

	body := `{"userId":"u1","verificationStatus":"active"}`
	out.Reset()
	require.NoError(t, sign([]string{"-key", keyPath, "-path", "/v1/integrator/kyc-decisions", "-body", body}, &out))
	vars := map[string]string{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		vars[k] = v
	}
	assert.Equal(t, pubHex, vars["PUBKEY"])

	ok := false
	h := httpapi.RequireSignature(c.integratorKeys, httpapi.SignatureConfig{}, onboardkit.Runtime{})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ok = true }))
	req := httptest.NewRequest("POST", "/v1/integrator/kyc-decisions", strings.NewReader(body))
	req.Header.Set("X-Pubkey", vars["PUBKEY"])
	req.Header.Set("X-Timestamp", vars["TIMESTAMP"])
	req.Header.Set("X-Signature", vars["SIGNATURE"])
	h.ServeHTTP(httptest.NewRecorder(), req)
	assert.True(t, ok, "the printed headers verify")
}

func TestLoadSigningKey(t *testing.T) {
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	p := filepath.Join(dir, "ed.pem")
	require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	k1, err := loadSigningKey(p)
	require.NoError(t, err)
	k2, err := loadSigningKey(p)
	require.NoError(t, err)
	assert.Equal(t, k1.ID, k2.ID, "stable key id")

	var out bytes.Buffer
	ecPath := filepath.Join(dir, "ec.pem")
	require.NoError(t, keygen([]string{"-out", ecPath}, &out))
	k3, err := loadSigningKey(ecPath)
	require.NoError(t, err)
	_, isEC := k3.Key.(*ecdsa.PrivateKey)
	assert.True(t, isEC)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.pem"), []byte("nope"), 0o600))
	_, err = loadSigningKey(filepath.Join(dir, "bad.pem"))
	assert.Error(t, err)
	k4, err := loadSigningKey("")
	require.NoError(t, err)
	assert.Equal(t, "ephemeral", k4.ID)
}

func TestFlowAndCodeFlags(t *testing.T) {
	c, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, onboarding.DefaultFlow(), c.flow)
	assert.Equal(t, otp.Config{
		CodeLength: otp.DefaultCodeLength, TTL: otp.DefaultTTL, MaxAttempts: otp.DefaultMaxAttempts,
		ResendCooldown: otp.DefaultResendCooldown, MaxSends: otp.DefaultMaxSends,
		DestinationLimit: otp.DefaultDestinationLimit, DestinationWindow: otp.DefaultDestinationWindow,
	}, c.codes, "the defaults are otp's")

	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{"email-first", []string{"-flow", "email-first"}, "", func(t *testing.T, c *config) {
			assert.Equal(t, onboarding.Flow{SignUp: onboarding.SignUpWithEmail}, c.flow)
		}},
		{"signup-log", []string{"-flow", "signup-log"}, "", func(t *testing.T, c *config) {
			assert.Equal(t, onboarding.SignUpLogFlow(), c.flow)
		}},
		{"unknown flow", []string{"-flow", "phone-last"}, `-flow must be seed, email-first or signup-log, not "phone-last"`, nil},
		{"custody SMS codes", []string{"-code-length", "4", "-code-ttl", "5m", "-code-attempts", "3", "-resend-cooldown", "45s",
			"-code-sends", "3", "-send-limit", "20", "-send-window", "30m"}, "", func(t *testing.T, c *config) {
			assert.Equal(t, otp.Config{CodeLength: 4, TTL: 5 * time.Minute, MaxAttempts: 3, ResendCooldown: 45 * time.Second,
				MaxSends: 3, DestinationLimit: 20, DestinationWindow: 30 * time.Minute}, c.codes)
		}},
		{"no destination limit", []string{"-send-limit", "-1"}, "", func(t *testing.T, c *config) {
			assert.Equal(t, -1, c.codes.DestinationLimit)
		}},
		{"code length", []string{"-code-length", "3"}, "-code-length must be 4 to 10, not 3", nil},
		{"every range at once", []string{"-code-length", "11", "-code-ttl", "1s", "-code-attempts", "0", "-resend-cooldown", "2h",
			"-code-sends", "21", "-send-limit", "0", "-send-window", "1s"}, "", nil},
		{"ttl within the cooldown", []string{"-code-ttl", "1m", "-resend-cooldown", "1m"}, "-code-ttl (1m0s) must be longer than -resend-cooldown (1m0s)", nil},
		{"not a duration", []string{"-code-ttl", "ten minutes"}, "invalid value", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFlags(tt.args, io.Discard)
			switch {
			case tt.check != nil:
				require.NoError(t, err)
				tt.check(t, c)
			case tt.wantErr != "":
				assert.ErrorContains(t, err, tt.wantErr)
			default:
				require.Error(t, err)
				for _, f := range []string{"-code-length", "-code-ttl", "-code-attempts", "-resend-cooldown", "-code-sends", "-send-limit", "-send-window"} {
					assert.Contains(t, err.Error(), f, "every flag out of range is named")
				}
			}
		})
	}
}

func TestOperatorKeyFlags(t *testing.T) {
	dir := t.TempDir()
	var integrator, operator bytes.Buffer
	require.NoError(t, keygen([]string{"-out", filepath.Join(dir, "i.pem")}, &integrator))
	require.NoError(t, keygen([]string{"-out", filepath.Join(dir, "o.pem")}, &operator))
	ik, ok := strings.TrimSpace(integrator.String()), strings.TrimSpace(operator.String())
	c, err := parseFlags([]string{"-integrator-key", ik, "-operator-key", ok, "-operator-key", ok}, io.Discard)
	require.NoError(t, err)
	assert.Len(t, c.integratorKeys, 1)
	assert.Len(t, c.operatorKeys, 2)
	_, err = parseFlags([]string{"-operator-key", "02abcd"}, io.Discard)
	assert.Error(t, err, "0x is required")
	_, err = parseFlags([]string{"-integrator-key", ik, "-operator-key", ik}, io.Discard)
	assert.ErrorContains(t, err, "both as -integrator-key and -operator-key")
}

// TestFourDigitCodes runs the service the flags configure: with
// -code-length 4 the sign-up SMS carries a 4-digit code that confirms the
// phone over HTTP.
func TestFourDigitCodes(t *testing.T) {
	c, err := parseFlags([]string{"-code-length", "4"}, io.Discard)
	require.NoError(t, err)
	cfg, err := serviceConfig(c, func(string) {})
	require.NoError(t, err)
	var outbox bytes.Buffer
	box := otp.NewOutbox(&outbox)
	cfg.Store, cfg.SMS, cfg.Email = memory.New(), box, box
	svc, err := onboarding.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Config{}))
	defer srv.Close()

	post := func(path, body string) *http.Response {
		res, err := srv.Client().Post(srv.URL+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		return res
	}
	res := post("/v1/signup", `{"phoneNumber":"+33612345678","password":"correct-horse-7-battery"}`)
	defer res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)
	var su onboarding.SignUpResult
	require.NoError(t, json.NewDecoder(res.Body).Decode(&su))
	var sent struct{ Code string }
	require.NoError(t, json.Unmarshal(outbox.Bytes(), &sent))
	assert.Regexp(t, `^[0-9]{4}$`, sent.Code)
	res = post("/v1/phone/confirm", `{"challengeId":"`+su.Challenge.ChallengeID+`","code":"`+sent.Code+`"}`)
	defer res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
}
