package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/httpapi"
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
