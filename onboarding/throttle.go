// This file owns the login throttle and device tokens. A login reserves its
// failure in the store before the password is checked (one conditional
// write, so concurrent guesses on any number of replicas get at most the
// allowed checks and no failure is lost). The key is the account, or, when
// the login presents a valid device token of the user, that device: a
// stranger hammering the account never throttles the owner's known devices.
// Unknown usernames reserve on one of a bounded set of ghost keys, so their
// answer costs the same store work as a known user's.

package onboarding

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"io"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// ghostBuckets bounds the throttle keys unknown usernames use.
const ghostBuckets = 4096

// deviceTokenLen is the decoded length of a device token: a 16-byte device
// id, the issue time (8 bytes, Unix seconds) and an HMAC-SHA256 (32 bytes).
const deviceTokenLen = 16 + 8 + sha256.Size

type throttle struct {
	policy    storage.ThrottlePolicy
	key       []byte // device tokens and ghost keys
	deviceTTL time.Duration
}

func newThrottle(cfg LoginConfig, secret []byte) *throttle {
	return &throttle{
		policy: storage.ThrottlePolicy{FreeFailures: cfg.FreeFailures, BaseDelay: cfg.BaseDelay, MaxDelay: cfg.MaxDelay},
		key:    deriveKey(secret, "onboardkit login throttle"), deviceTTL: cfg.DeviceTTL,
	}
}

// accountKey throttles logins of a user that present no device token (and
// every wrong current password of a password change).
func accountKey(userID string) string { return "u:" + userID }

// deviceKey throttles logins of a user from one of their devices.
func deviceKey(userID, deviceID string) string { return "d:" + userID + ":" + deviceID }

// ghostKey throttles logins of an unknown username, in one of ghostBuckets
// shared keys.
func (t *throttle) ghostKey(username string) string {
	m := t.mac("ghost", username)
	return "g:" + hex.EncodeToString(binary.BigEndian.AppendUint16(nil, binary.BigEndian.Uint16(m)%ghostBuckets))
}

// key returns the throttle key of a login of userID presenting token, and
// the device id the login continues with ("" when the token is absent or
// not a valid token of the user).
func (t *throttle) loginKey(userID, token string, now time.Time) (key, deviceID string) {
	if id, ok := t.device(userID, token, now); ok {
		return deviceKey(userID, id), id
	}
	return accountKey(userID), ""
}

func (t *throttle) mac(label string, parts ...string) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(label))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// newDeviceID draws a device id.
func newDeviceID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// sign returns the device token of a user's device, issued at now.
func (t *throttle) sign(userID, deviceID string, now time.Time) string {
	raw, err := hex.DecodeString(deviceID)
	if err != nil || len(raw) != 16 {
		return ""
	}
	b := make([]byte, 0, deviceTokenLen)
	b = append(b, raw...)
	b = binary.BigEndian.AppendUint64(b, uint64(now.Unix()))
	b = append(b, t.mac("device", userID, string(b))...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// device returns the device id of a token of userID that is well formed,
// signed by this server for that user and not older than DeviceTTL.
func (t *throttle) device(userID, token string, now time.Time) (string, bool) {
	if token == "" || len(token) > 2*deviceTokenLen {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != deviceTokenLen {
		return "", false
	}
	body, sum := b[:24], b[24:]
	if !hmac.Equal(sum, t.mac("device", userID, string(body))) {
		return "", false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(body[16:24])), 0)
	if now.Sub(issued) > t.deviceTTL || issued.After(now.Add(time.Minute)) {
		return "", false
	}
	return hex.EncodeToString(body[:16]), true
}
