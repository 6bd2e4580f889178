package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyrings(t *testing.T) {
	t.Setenv(keyringEnv, "")
	dir := t.TempDir()
	var a, b bytes.Buffer
	require.NoError(t, newKey([]string{"-id", "2026-10"}, &a))
	require.NoError(t, newKey([]string{"-id", "2026-11"}, &b))
	file := filepath.Join(dir, "keyring")
	require.NoError(t, os.WriteFile(file, append(a.Bytes(), b.Bytes()...), 0o600))

	var warnings []string
	warn := func(s string) { warnings = append(warnings, s) }
	tests := []struct {
		name    string
		c       config
		current string
		wantErr string
		warned  bool
	}{
		{"file", config{keyringFile: file, postgresDSN: "postgres://x"}, "2026-11", "", false},
		{"memory store gets an ephemeral key", config{}, "ephemeral", "", true},
		{"postgres refuses to start without one", config{postgresDSN: "postgres://x"}, "", "-keyring-file or $ONBOARDKIT_KEYRING", false},
		{"missing file", config{keyringFile: filepath.Join(dir, "nope")}, "", "no such file", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warnings = nil
			ring, err := loadKeyring(&tt.c, warn)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.current, ring.Current())
			assert.Equal(t, tt.warned, len(warnings) > 0)
		})
	}

	t.Run("environment", func(t *testing.T) {
		t.Setenv(keyringEnv, a.String())
		ring, err := loadKeyring(&config{postgresDSN: "postgres://x"}, warn)
		require.NoError(t, err)
		assert.Equal(t, "2026-10", ring.Current())
	})

	t.Run("retention", func(t *testing.T) {
		c, err := parseFlags([]string{"-retention", "43800h"}, &bytes.Buffer{})
		require.NoError(t, err)
		_, err = retention(c)
		assert.ErrorContains(t, err, "-retention-keyring-file", "retention without the officers' keyring is refused")
		_, err = retention(&config{retentionKeyringFile: file})
		assert.Error(t, err)
		r, err := retention(&config{retention: 43800 * 3600e9, retentionKeyringFile: file})
		require.NoError(t, err)
		assert.Equal(t, "2026-11", r.Keyring.Current())
	})
}

func TestWebhookFlags(t *testing.T) {
	var stderr bytes.Buffer
	c, err := parseFlags([]string{"-webhook", "https://crm.example/hooks", "-webhook", "http://127.0.0.1:9/h",
		"-webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "-sumsub-secret", "s", "-onfido-webhook-token", "o"}, &stderr)
	require.NoError(t, err)
	eps, err := c.hooks.endpoints(&stderr)
	require.NoError(t, err)
	require.Len(t, eps, 2)
	assert.Equal(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", eps[0].Secret)
	assert.Contains(t, stderr.String(), eps[1].Secret, "a made secret is printed")
	again, err := c.hooks.endpoints(&stderr)
	require.NoError(t, err)
	assert.Equal(t, eps[0].ID, again[0].ID, "ids derive from the URL")
	ps, err := c.hooks.providers(&stderr)
	require.NoError(t, err)
	assert.Len(t, ps, 2)

	_, err = parseFlags([]string{"-webhook", "crm.example/hooks"}, &stderr)
	assert.Error(t, err)
	c, err = parseFlags([]string{"-webhook-secret", "whsec_x"}, &stderr)
	require.NoError(t, err)
	_, err = c.hooks.endpoints(&stderr)
	assert.Error(t, err, "a secret without its webhook")
}
