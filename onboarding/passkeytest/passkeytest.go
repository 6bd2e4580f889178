// Package passkeytest is a virtual WebAuthn authenticator for tests: it
// answers the options of an onboardkit ceremony (PublicKeyCredential
// creation and request options as go-webauthn marshals them) the way a
// browser and a platform authenticator would, with ES256 keys, attestation
// formats "none" and "packed" (self attestation), user verification, and a
// signature counter. Tweaks make it misbehave (another origin, relying
// party or challenge, no user verification, a tampered signature, a
// counter going backwards) so that tests can check each refusal.
//
// It is test support: its keys live in memory and it verifies nothing.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator is a virtual platform authenticator bound to an origin.
type Authenticator struct {
	// Origin is the origin the browser runs the ceremony on.
	Origin string
	// Format is the attestation format of registrations: "none" (the
	// default) or "packed".
	Format string
	// AAGUID identifies the authenticator model.
	AAGUID [16]byte
	// Rand is the randomness of keys and credential ids (crypto/rand when
	// nil).
	Rand io.Reader
}

// Credential is a passkey the authenticator holds.
type Credential struct {
	ID         []byte
	UserHandle []byte
	RPID       string
	Key        *ecdsa.PrivateKey
	// Count is the signature counter; each assertion adds one before
	// signing.
	Count uint32
}

// Tweaks make one ceremony misbehave; the zero value is a correct one.
type Tweaks struct {
	Origin             string // the origin in clientDataJSON (default Authenticator.Origin)
	RPID               string // the relying party id hashed into authenticatorData (default the options')
	Challenge          []byte // the challenge signed (default the options')
	NoUserVerification bool   // the UV flag is not set
	TamperSignature    bool   // the signature is changed after signing
	Counter            *uint32
	Format             string // the attestation format (default Authenticator.Format)
	Type               string // clientDataJSON type (default webauthn.create / webauthn.get)
}

// Registration is the outcome of Create: the browser's PublicKeyCredential
// JSON and its parts.
type Registration struct {
	Credential        *Credential
	JSON              json.RawMessage
	CredentialID      []byte
	ClientDataJSON    []byte
	AttestationObject []byte
}

// B64 encodes b as unpadded base64url, as WebAuthn JSON does.
func B64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

type creationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
}

type requestOptions struct {
	Challenge string `json:"challenge"`
	RPID      string `json:"rpId"`
}

func unb64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func (a *Authenticator) rand() io.Reader {
	if a.Rand != nil {
		return a.Rand
	}
	return rand.Reader
}

// Create answers PublicKeyCredentialCreationOptions (the publicKey member)
// with a new credential.
func (a *Authenticator) Create(options json.RawMessage, t Tweaks) (*Registration, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("passkeytest: creation options: %w", err)
	}
	challenge, err := unb64(o.Challenge)
	if err != nil {
		return nil, fmt.Errorf("passkeytest: challenge: %w", err)
	}
	handle, err := unb64(o.User.ID)
	if err != nil {
		return nil, fmt.Errorf("passkeytest: user id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), a.rand())
	if err != nil {
		return nil, err
	}
	id := make([]byte, 32)
	if _, err := io.ReadFull(a.rand(), id); err != nil {
		return nil, err
	}
	c := &Credential{ID: id, UserHandle: handle, RPID: o.RP.ID, Key: key}
	cd := a.clientData("webauthn.create", challenge, t)
	authData, err := a.authData(c, t, true)
	if err != nil {
		return nil, err
	}
	format := t.Format
	if format == "" {
		format = a.Format
	}
	if format == "" {
		format = "none"
	}
	stmt := map[string]any{}
	if format == "packed" {
		h := sha256.Sum256(cd)
		sig, err := sign(key, append(append([]byte{}, authData...), h[:]...), t.TamperSignature)
		if err != nil {
			return nil, err
		}
		stmt = map[string]any{"alg": -7, "sig": sig}
	}
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		return nil, err
	}
	att, err := em.Marshal(map[string]any{"fmt": format, "attStmt": stmt, "authData": authData})
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(map[string]any{
		"id": B64(id), "rawId": B64(id), "type": "public-key", "authenticatorAttachment": "platform",
		"clientExtensionResults": map[string]any{},
		"response":               map[string]any{"clientDataJSON": B64(cd), "attestationObject": B64(att), "transports": []string{"internal", "hybrid"}},
	})
	if err != nil {
		return nil, err
	}
	return &Registration{Credential: c, JSON: js, CredentialID: id, ClientDataJSON: cd, AttestationObject: att}, nil
}

// Get answers PublicKeyCredentialRequestOptions with an assertion by c.
func (a *Authenticator) Get(options json.RawMessage, c *Credential, t Tweaks) (json.RawMessage, error) {
	if c == nil {
		return nil, errors.New("passkeytest: no credential")
	}
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("passkeytest: request options: %w", err)
	}
	challenge, err := unb64(o.Challenge)
	if err != nil {
		return nil, fmt.Errorf("passkeytest: challenge: %w", err)
	}
	if t.Counter != nil {
		c.Count = *t.Counter
	} else {
		c.Count++
	}
	cd := a.clientData("webauthn.get", challenge, t)
	authData, err := a.authData(c, t, false)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(cd)
	sig, err := sign(c.Key, append(append([]byte{}, authData...), h[:]...), t.TamperSignature)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": B64(c.ID), "rawId": B64(c.ID), "type": "public-key", "authenticatorAttachment": "platform",
		"clientExtensionResults": map[string]any{},
		"response":               map[string]any{"clientDataJSON": B64(cd), "authenticatorData": B64(authData), "signature": B64(sig), "userHandle": B64(c.UserHandle)},
	})
}

func (a *Authenticator) clientData(typ string, challenge []byte, t Tweaks) []byte {
	if t.Type != "" {
		typ = t.Type
	}
	if t.Challenge != nil {
		challenge = t.Challenge
	}
	origin := a.Origin
	if t.Origin != "" {
		origin = t.Origin
	}
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": B64(challenge), "origin": origin, "crossOrigin": false})
	return b
}

// authData builds authenticatorData; with attested, the credential data.
func (a *Authenticator) authData(c *Credential, t Tweaks, attested bool) ([]byte, error) {
	rpID := c.RPID
	if t.RPID != "" {
		rpID = t.RPID
	}
	rp := sha256.Sum256([]byte(rpID))
	flags := byte(0x01 | 0x04) // UP, UV
	if t.NoUserVerification {
		flags &^= 0x04
	}
	if attested {
		flags |= 0x40
	}
	out := append([]byte{}, rp[:]...)
	out = append(out, flags)
	count := c.Count
	if attested && t.Counter != nil {
		count = *t.Counter
		c.Count = count
	}
	out = binary.BigEndian.AppendUint32(out, count)
	if !attested {
		return out, nil
	}
	out = append(out, a.AAGUID[:]...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(c.ID)))
	out = append(out, c.ID...)
	pub, err := c.Key.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	raw := pub.Bytes() // 0x04 || X || Y
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		return nil, err
	}
	cose, err := em.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:65]})
	if err != nil {
		return nil, err
	}
	return append(out, cose...), nil
}

func sign(key *ecdsa.PrivateKey, msg []byte, tamper bool) ([]byte, error) {
	h := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		return nil, err
	}
	if tamper {
		// Another valid-looking signature: of another message.
		h[0] ^= 0xff
		if sig, err = ecdsa.SignASN1(rand.Reader, key, h[:]); err != nil {
			return nil, err
		}
	}
	return sig, nil
}
