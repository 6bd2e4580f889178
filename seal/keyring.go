package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Keyring wraps and unwraps data keys with key-encryption keys (KEKs) that
// never leave it. A cloud KMS or a Vault transit engine implements it in a
// few lines (a sketch, for AWS KMS):
//
//	type kmsKeyring struct{ client *kms.Client; keyID string }
//
//	func (k kmsKeyring) Current() string { return k.keyID }
//
//	func (k kmsKeyring) Wrap(ctx context.Context, dek, aad []byte) (string, []byte, error) {
//		out, err := k.client.Encrypt(ctx, &kms.EncryptInput{KeyId: &k.keyID, Plaintext: dek,
//			EncryptionContext: map[string]string{"onboardkit": base64.StdEncoding.EncodeToString(aad)}})
//		if err != nil {
//			return "", nil, err
//		}
//		return *out.KeyId, out.CiphertextBlob, nil
//	}
//
//	func (k kmsKeyring) Unwrap(ctx context.Context, keyRef string, wrapped, aad []byte) ([]byte, error) {
//		out, err := k.client.Decrypt(ctx, &kms.DecryptInput{KeyId: &keyRef, CiphertextBlob: wrapped,
//			EncryptionContext: map[string]string{"onboardkit": base64.StdEncoding.EncodeToString(aad)}})
//		if err != nil {
//			return nil, err
//		}
//		return out.Plaintext, nil
//	}
//
// Vault's transit engine is the same shape: Wrap is POST transit/encrypt/:name
// with the aad as "context" (a derived key), Unwrap is transit/decrypt, and
// keyRef carries the key version of the "vault:vN:" prefix.
type Keyring interface {
	// Current names the key Wrap uses now; Sealer.Rewrap moves every data
	// key to it.
	Current() string
	// Wrap encrypts dek with the current key, binding aad (the data key's
	// user and id), and returns the name of the key it used.
	Wrap(ctx context.Context, dek, aad []byte) (keyRef string, wrapped []byte, err error)
	// Unwrap opens a data key wrapped by key keyRef with the same aad. Any
	// failure is an error; an older key that is still configured opens.
	Unwrap(ctx context.Context, keyRef string, wrapped, aad []byte) ([]byte, error)
}

// KeySize is the size of a key-encryption key of a LocalKeyring and of a
// data key: 32 bytes, for AES-256.
const KeySize = 32

// Key is one key-encryption key of a LocalKeyring.
type Key struct {
	// ID names the key in the data keys it wraps (letters, digits, '-',
	// '_' and '.'; at most 64).
	ID string
	// Secret is KeySize random bytes.
	Secret []byte
}

// LocalKeyring is a Keyring of key-encryption keys held in process memory,
// loaded from a file or the environment: AES-256-GCM with a random nonce
// per wrap. The newest key (the last given) wraps new data keys; every key
// given opens what it wrapped, so a key is retired by re-wrapping
// (Sealer.Rewrap) and then removing it.
type LocalKeyring struct {
	keys    map[string]cipher.AEAD
	current string
	rand    io.Reader
}

// NewLocalKeyring returns a keyring of keys, the last one current. It
// refuses an empty list, a malformed id, a duplicate id and a secret that
// is not KeySize bytes.
func NewLocalKeyring(keys ...Key) (*LocalKeyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: a keyring needs at least one key")
	}
	r := &LocalKeyring{keys: make(map[string]cipher.AEAD, len(keys)), rand: randReader}
	for _, k := range keys {
		if !validKeyID(k.ID) {
			return nil, fmt.Errorf("seal: key id %q: use 1 to 64 letters, digits, '-', '_' or '.'", k.ID)
		}
		if _, dup := r.keys[k.ID]; dup {
			return nil, fmt.Errorf("seal: duplicate key id %q", k.ID)
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("seal: key %q: the secret must be %d bytes, not %d", k.ID, KeySize, len(k.Secret))
		}
		aead, err := newAEAD(k.Secret)
		if err != nil {
			return nil, err
		}
		r.keys[k.ID] = aead
		r.current = k.ID
	}
	return r, nil
}

func validKeyID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Current implements Keyring.
func (r *LocalKeyring) Current() string { return r.current }

// Wrap implements Keyring.
func (r *LocalKeyring) Wrap(_ context.Context, dek, aad []byte) (string, []byte, error) {
	out, err := sealAEAD(r.keys[r.current], r.rand, dek, aad)
	return r.current, out, err
}

// Unwrap implements Keyring.
func (r *LocalKeyring) Unwrap(_ context.Context, keyRef string, wrapped, aad []byte) ([]byte, error) {
	aead, ok := r.keys[keyRef]
	if !ok {
		return nil, fmt.Errorf("%w: key %q is not in the keyring", ErrOpen, keyRef)
	}
	return openAEAD(aead, wrapped, aad)
}

// ParseKeyring reads a LocalKeyring from text: one key per line (or per
// comma), "id:base64-secret", oldest first, the last one current. Blank
// lines and lines starting with '#' are skipped.
func ParseKeyring(text string) (*LocalKeyring, error) {
	var keys []Key
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, item := range strings.Split(line, ",") {
			k, err := parseKey(strings.TrimSpace(item))
			if err != nil {
				return nil, fmt.Errorf("seal: keyring line %d: %w", n+1, err)
			}
			keys = append(keys, k)
		}
	}
	return NewLocalKeyring(keys...)
}

// parseKey reads one "id:base64-secret".
func parseKey(item string) (Key, error) {
	id, b64, ok := strings.Cut(item, ":")
	if !ok {
		return Key{}, errors.New("want id:base64-secret")
	}
	secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return Key{}, errors.New("the secret is not base64")
	}
	return Key{ID: strings.TrimSpace(id), Secret: secret}, nil
}

// ReadKeyringFile reads a LocalKeyring from a file in the ParseKeyring
// format (keep it readable by the service only).
func ReadKeyringFile(path string) (*LocalKeyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return ParseKeyring(string(b))
}

// KeyringFromEnv reads a LocalKeyring from the environment variable name,
// in the ParseKeyring format (commas between keys).
func KeyringFromEnv(name string) (*LocalKeyring, error) {
	v, ok := os.LookupEnv(name)
	if !ok || strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("seal: $%s is not set", name)
	}
	return ParseKeyring(v)
}

// GenerateKey draws a new key-encryption key from r (crypto/rand when nil)
// and returns it with its ParseKeyring line.
func GenerateKey(id string, r io.Reader) (Key, string, error) {
	if r == nil {
		r = randReader
	}
	k := Key{ID: id, Secret: make([]byte, KeySize)}
	if _, err := io.ReadFull(r, k.Secret); err != nil {
		return Key{}, "", fmt.Errorf("seal: generate key: %w", err)
	}
	if !validKeyID(id) {
		return Key{}, "", fmt.Errorf("seal: key id %q: use 1 to 64 letters, digits, '-', '_' or '.'", id)
	}
	return k, id + ":" + base64.StdEncoding.EncodeToString(k.Secret), nil
}

// NewEphemeralKeyring returns a keyring of one fresh random key that lives
// only in this process: everything sealed under it is unreadable once the
// process exits. It suits demos and the in-memory store, never a store
// that outlives the process.
func NewEphemeralKeyring(id string) (*LocalKeyring, error) {
	k, _, err := GenerateKey(id, nil)
	if err != nil {
		return nil, err
	}
	return NewLocalKeyring(k)
}
