// This file owns passkeys (WebAuthn, with github.com/go-webauthn/webauthn):
// registration by a logged-in user, listing and removal, the passkey as the
// second factor of a login, passwordless login with a discoverable
// credential, and registration ceremonies an integrator runs before
// creating an individual account.
//
// Every ceremony is an otp challenge of channel passkey: one-time (consumed
// in the unit of work that stores what it proved), expiring with the otp
// TTL on the injected clock, attempt-limited and pruned by the janitor like
// every challenge. Its WebAuthn challenge is derived from the challenge id
// (the id, then an HMAC of it under a key derived from Config.Secret), so
// nothing but the challenge record is stored and the challenge a browser
// signed names its ceremony.

package onboarding

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/storage"
)

// WebAuthnConfig is the WebAuthn relying party. Passkeys are disabled while
// RPID is empty: their methods answer passkeys_disabled.
type WebAuthnConfig struct {
	// RPID is the relying party id: the registrable domain the passkeys
	// are scoped to ("example.com"; "localhost" for development).
	RPID string
	// RPName is the name the authenticator shows ("Example Bank").
	RPName string
	// Origins are the origins allowed to run ceremonies
	// ("https://app.example.com"; "http://localhost:8080" in development).
	Origins []string
}

// Enabled reports whether a relying party is configured.
func (w WebAuthnConfig) Enabled() bool { return w.RPID != "" }

func (w WebAuthnConfig) check() []error {
	if !w.Enabled() {
		if w.RPName != "" || len(w.Origins) > 0 {
			return []error{errors.New("WebAuthn.RPName and WebAuthn.Origins need a WebAuthn.RPID")}
		}
		return nil
	}
	var problems []error
	if w.RPName == "" {
		problems = append(problems, errors.New("WebAuthn.RPName is required with WebAuthn.RPID"))
	}
	if len(w.Origins) == 0 {
		problems = append(problems, errors.New("WebAuthn.Origins is required with WebAuthn.RPID"))
	}
	for _, o := range w.Origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" {
			problems = append(problems, fmt.Errorf("the WebAuthn origin %q is not scheme://host[:port]", o))
		}
	}
	return problems
}

// Ceremony purposes (otp purposes of channel passkey challenges); a login's
// second factor is an otp.PurposeLogin challenge of channel passkey.
const (
	purposePasskeyRegistration otp.Purpose = "passkey_registration"
	purposePasskeyLogin        otp.Purpose = "passkey_login"
	purposePasskeyIntegrator   otp.Purpose = "passkey_integrator"
)

// ChallengePasskey is the challenge type of a login answered with a passkey.
const ChallengePasskey = "PASSKEY"

// PasskeyOptions opens a ceremony: its id and the options to hand to the
// browser's navigator.credentials.create() or get() (the publicKey member,
// as go-webauthn marshals PublicKeyCredentialCreationOptions or
// PublicKeyCredentialRequestOptions).
type PasskeyOptions struct {
	CeremonyID string          `json:"ceremonyId"`
	PublicKey  json.RawMessage `json:"publicKey"`
	ExpiresAt  time.Time       `json:"expiresAt"`
}

// PasskeyChallenge is a registration ceremony issued to an integrator: the
// WebAuthn challenge (base64url, as in publicKey.challenge) its front end
// signs and then sends back in authenticators[i].challenge.
type PasskeyChallenge struct {
	Challenge string          `json:"challenge"`
	PublicKey json.RawMessage `json:"publicKey"`
	ExpiresAt time.Time       `json:"expiresAt"`
}

// PasskeyChallengeRequest names the customer an integrator's ceremony
// registers a passkey for, as the authenticator shows it. Both are
// optional and nothing of them is stored.
type PasskeyChallengeRequest struct {
	UserName    string `json:"userName,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// PasskeyRegistration answers a registration ceremony.
type PasskeyRegistration struct {
	CeremonyID string `json:"ceremonyId"`
	// Name labels the passkey for the user (default "Passkey").
	Name string `json:"name,omitempty"`
	// Credential is the browser's PublicKeyCredential (attestation) as
	// JSON: {id, rawId, type, response:{clientDataJSON,
	// attestationObject, transports?}}.
	Credential json.RawMessage `json:"credential"`
}

// Passkey is a registered passkey as its user sees it.
type Passkey struct {
	PasskeyID  string     `json:"passkeyId"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	Transports []string   `json:"transports"`
}

func passkeyView(p *storage.Passkey) Passkey {
	v := Passkey{PasskeyID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt.UTC(), Transports: append([]string{}, p.Transports...)}
	if !p.LastUsedAt.IsZero() {
		t := p.LastUsedAt.UTC()
		v.LastUsedAt = &t
	}
	return v
}

type passkeys struct {
	*core
	cfg      WebAuthnConfig
	wa       *webauthn.WebAuthn // nil when disabled
	key      []byte             // derives WebAuthn challenges from ceremony ids
	codes    *otp.Manager
	contacts *contacts
	creds    *credentials
	ttl      time.Duration
}

func newPasskeys(c *core, cfg WebAuthnConfig, secret []byte, codes *otp.Manager, ttl time.Duration) (*passkeys, error) {
	p := &passkeys{core: c, cfg: cfg, key: deriveKey(secret, "onboardkit webauthn"), codes: codes, ttl: ttl}
	if !cfg.Enabled() {
		return p, nil
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID: cfg.RPID, RPDisplayName: cfg.RPName, RPOrigins: cfg.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationRequired,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("onboarding: webauthn: %w", err)
	}
	p.wa = wa
	return p, nil
}

func (p *passkeys) enabled() error {
	if p.wa == nil {
		return onboardkit.CodePasskeysDisabled.Err()
	}
	return nil
}

// ---------------------------------------------------------------------------
// Challenges

const ceremonyIDLen = 26 // otp challenge ids

// challengeOf is the WebAuthn challenge of a ceremony: its id, then 16
// bytes of HMAC of it.
func (p *passkeys) challengeOf(id string) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("webauthn challenge\x00"))
	m.Write([]byte(id))
	return append([]byte(id), m.Sum(nil)[:16]...)
}

// ceremonyOf returns the ceremony id a base64url WebAuthn challenge names,
// or "" when the challenge was not issued by this service.
func (p *passkeys) ceremonyOf(challenge string) string {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(challenge), "="))
	if err != nil || len(b) != ceremonyIDLen+16 {
		return ""
	}
	id := string(b[:ceremonyIDLen])
	if !hmac.Equal(b, p.challengeOf(id)) {
		return ""
	}
	return id
}

func (p *passkeys) session(id string, userHandle []byte, allowed [][]byte) webauthn.SessionData {
	return webauthn.SessionData{
		Challenge:            base64.RawURLEncoding.EncodeToString(p.challengeOf(id)),
		RelyingPartyID:       p.cfg.RPID,
		UserID:               userHandle,
		AllowedCredentialIDs: allowed,
		UserVerification:     protocol.VerificationRequired,
		CredParams:           webauthn.CredentialParametersDefault(),
	}
}

// issue stores a ceremony challenge. Ceremonies of no user (passwordless
// login, an integrator's registration) are issued directly: they are not
// decoys.
func (p *passkeys) issue(ctx context.Context, st storage.Challenges, userID string, purpose otp.Purpose, payload []byte) (*otp.Challenge, error) {
	pend, err := p.codes.WithStore(st).Issue(ctx, otp.IssueRequest{UserID: userID, Purpose: purpose, Channel: otp.ChannelPasskey, Payload: payload})
	if err != nil {
		return nil, p.storeErr(ctx, "issue passkey ceremony", err)
	}
	return &pend.Challenge, nil
}

func (p *passkeys) timeout() int { return int(p.ttl.Milliseconds()) }

// creationOptions returns the PublicKeyCredentialCreationOptions of a
// registration ceremony.
func (p *passkeys) creationOptions(id string, handle []byte, name, display string, exclude []*storage.Passkey) (json.RawMessage, error) {
	opts := []webauthn.RegistrationOption{
		func(o *protocol.PublicKeyCredentialCreationOptions) {
			o.Challenge = p.challengeOf(id)
			o.Timeout = p.timeout()
		},
	}
	if len(exclude) > 0 {
		var ex []protocol.CredentialDescriptor
		for _, k := range exclude {
			ex = append(ex, descriptor(k))
		}
		opts = append(opts, webauthn.WithExclusions(ex))
	}
	creation, _, err := p.wa.BeginRegistration(waUser{handle: handle, name: name, display: display}, opts...)
	if err != nil {
		return nil, fmt.Errorf("onboarding: webauthn registration options: %w", err)
	}
	return json.Marshal(creation.Response)
}

// requestOptions returns the PublicKeyCredentialRequestOptions of a login
// ceremony (allow lists the user's passkeys; empty for a discoverable
// login).
func (p *passkeys) requestOptions(id string, allow []*storage.Passkey) (json.RawMessage, error) {
	opts := []webauthn.LoginOption{webauthn.WithChallenge(p.challengeOf(id)), func(o *protocol.PublicKeyCredentialRequestOptions) { o.Timeout = p.timeout() }}
	if len(allow) > 0 {
		var ds []protocol.CredentialDescriptor
		for _, k := range allow {
			ds = append(ds, descriptor(k))
		}
		opts = append(opts, webauthn.WithAllowedCredentials(ds))
	}
	assertion, _, err := p.wa.BeginDiscoverableLogin(opts...)
	if err != nil {
		return nil, fmt.Errorf("onboarding: webauthn login options: %w", err)
	}
	return json.Marshal(assertion.Response)
}

func descriptor(k *storage.Passkey) protocol.CredentialDescriptor {
	d := protocol.CredentialDescriptor{Type: protocol.PublicKeyCredentialType, CredentialID: k.CredentialID}
	for _, t := range k.Transports {
		d.Transport = append(d.Transport, protocol.AuthenticatorTransport(t))
	}
	return d
}

// waUser is a webauthn.User for one user handle.
type waUser struct {
	handle        []byte
	name, display string
	creds         []webauthn.Credential
}

func (u waUser) WebAuthnID() []byte { return u.handle }
func (u waUser) WebAuthnName() string {
	if u.name == "" {
		return "customer"
	}
	return u.name
}
func (u waUser) WebAuthnDisplayName() string {
	if u.display == "" {
		return u.WebAuthnName()
	}
	return u.display
}
func (u waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func credentialOf(k *storage.Passkey) webauthn.Credential {
	c := webauthn.Credential{
		ID: k.CredentialID, PublicKey: k.PublicKey, AttestationFormat: k.AttestationFormat,
		Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: true, BackupEligible: k.BackupEligible, BackupState: k.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: k.SignCount},
	}
	for _, t := range k.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c
}

// newHandle returns a fresh random WebAuthn user handle.
func (p *passkeys) newHandle() ([]byte, error) {
	h := make([]byte, 32)
	if _, err := io.ReadFull(p.rt.Rand, h); err != nil {
		return nil, fmt.Errorf("onboarding: random user handle: %w", err)
	}
	return h, nil
}

// ---------------------------------------------------------------------------
// Errors

// refusal is the passkey_invalid error naming field with a reason.
func refusal(field string, code onboardkit.FieldCode, msg string) *onboardkit.Error {
	e := onboardkit.CodePasskeyInvalid.Err()
	e.Fields = []onboardkit.FieldError{{Field: field, Code: code, Message: msg}}
	return e
}

// classify turns a go-webauthn failure into passkey_invalid with the
// reason as the field error's code. The library's messages never reach the
// client.
func classify(field string, err error) *onboardkit.Error {
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		return refusal(field, onboardkit.FieldInvalid, "The passkey response does not verify.")
	}
	text := pe.Details + " " + pe.DevInfo
	switch {
	case pe.Type == protocol.ErrChallengeMismatch.Type || strings.Contains(text, "validating challenge"):
		return refusal(field, onboardkit.FieldChallengeMismatch, "The passkey signed another challenge than this ceremony's.")
	case strings.Contains(text, "validating origin") || strings.Contains(text, "top origin") || strings.Contains(text, "cross origin"):
		return refusal(field, onboardkit.FieldOriginMismatch, "The passkey ceremony ran on an origin this service does not allow.")
	case strings.Contains(text, "RP Hash mismatch"):
		return refusal(field, onboardkit.FieldRPIDMismatch, "The passkey belongs to another relying party.")
	case strings.Contains(text, "User verification required"):
		return refusal(field, onboardkit.FieldUserVerificationRequired, "The authenticator did not verify the user (PIN or biometrics).")
	case pe.Type == protocol.ErrAssertionSignature.Type || strings.Contains(text, "ignature"):
		return refusal(field, onboardkit.FieldBadSignature, "The passkey signature does not verify.")
	case pe.Type == protocol.ErrParsingData.Type || strings.Contains(text, "Parse error") || strings.Contains(text, "decoding") ||
		strings.Contains(text, "unmarshal") || strings.Contains(text, "missing"):
		return refusal(field, onboardkit.FieldMalformed, "The passkey response is malformed.")
	case pe.Type == protocol.ErrAttestationFormat.Type || pe.Type == protocol.ErrAttestation.Type || pe.Type == protocol.ErrUnsupportedAlgorithm.Type:
		return refusal(field, onboardkit.FieldUnsupported, "The passkey's attestation or key type is not supported.")
	}
	return refusal(field, onboardkit.FieldInvalid, "The passkey response does not verify.")
}

// requireCredential refuses a missing credential (absent or null).
func requireCredential(raw []byte) error {
	if s := strings.TrimSpace(string(raw)); s == "" || s == "null" {
		return onboardkit.ValidationError(onboardkit.FieldError{Field: "credential", Code: onboardkit.FieldRequired, Message: "The credential is required."})
	}
	return nil
}

// ---------------------------------------------------------------------------
// Registration

// verifyRegistration checks an attestation against the ceremony id with the
// user handle it was issued for and returns the passkey to store.
func (p *passkeys) verifyRegistration(field, id string, handle []byte, credential []byte) (*storage.Passkey, error) {
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return nil, refusal(field, onboardkit.FieldMalformed, "The passkey response is malformed.")
	}
	cred, err := p.wa.CreateCredential(waUser{handle: handle}, p.session(id, handle, nil), parsed)
	if err != nil {
		return nil, classify(field, err)
	}
	k := &storage.Passkey{
		UserHandle: handle, CredentialID: cred.ID, PublicKey: cred.PublicKey, AttestationFormat: cred.AttestationFormat,
		AAGUID: cred.Authenticator.AAGUID, SignCount: cred.Authenticator.SignCount,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
	}
	for _, t := range cred.Transport {
		k.Transports = append(k.Transports, string(t))
	}
	return k, nil
}

// beginRegistration is Service.BeginPasskeyRegistration.
func (p *passkeys) beginRegistration(ctx context.Context, userID string) (*PasskeyOptions, error) {
	if err := p.enabled(); err != nil {
		return nil, err
	}
	u, err := p.getUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	// A passkey opens the account alone (passwordless login): adding one
	// needs a recent login, as enrolling an authenticator app does, so a
	// stolen access token cannot plant one.
	if err := p.contacts.requireRecentAuth(u); err != nil {
		return nil, err
	}
	existing, err := p.store.ListPasskeys(ctx, userID)
	if err != nil {
		return nil, p.storeErr(ctx, "list passkeys", err)
	}
	// One user handle per user: the first passkey's, else a new one.
	var handle []byte
	if len(existing) > 0 {
		handle = existing[0].UserHandle
	} else if handle, err = p.newHandle(); err != nil {
		return nil, err
	}
	ch, err := p.issue(ctx, p.store, userID, purposePasskeyRegistration, handle)
	if err != nil {
		return nil, err
	}
	name := u.Email
	if u.Phone != "" {
		name = u.Phone
	}
	opts, err := p.creationOptions(ch.ID, handle, name, name, existing)
	if err != nil {
		return nil, err
	}
	return &PasskeyOptions{CeremonyID: ch.ID, PublicKey: opts, ExpiresAt: ch.ExpiresAt.UTC()}, nil
}

// finishRegistration is Service.RegisterPasskey.
func (p *passkeys) finishRegistration(ctx context.Context, userID string, req PasskeyRegistration) (*Passkey, error) {
	if err := p.enabled(); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		name = "Passkey"
	}
	if fe := checkPasskeyName(name, "name"); fe != nil {
		return nil, onboardkit.ValidationError(*fe)
	}
	if err := requireCredential(req.Credential); err != nil {
		return nil, err
	}
	ch, err := p.codes.Get(ctx, req.CeremonyID)
	if err != nil || ch.Purpose != purposePasskeyRegistration {
		return nil, onboardkit.CodeInvalidCode.Err()
	}
	var k *storage.Passkey
	v, err := p.codes.CheckFactor(ctx, req.CeremonyID, purposePasskeyRegistration, func(ctx context.Context, owner string) error {
		if owner != userID {
			return onboardkit.ErrInvalidCode
		}
		var err error
		k, err = p.verifyRegistration("credential", req.CeremonyID, ch.Payload, req.Credential)
		if err != nil {
			return otp.CountAttempt(err)
		}
		return nil
	})
	if err != nil {
		return nil, p.storeErr(ctx, "check passkey ceremony", err)
	}
	if k.ID, err = p.newID(); err != nil {
		return nil, err
	}
	k.UserID, k.Name, k.CreatedAt = userID, name, p.now()
	err = p.step(ctx, "register passkey", func(ctx context.Context, tx *unit) error {
		if err := p.codes.WithStore(tx).Consume(ctx, v); err != nil {
			return err
		}
		if err := p.createPasskey(ctx, tx, k, "credential"); err != nil {
			return err
		}
		tx.raise(EventPasskeyAdded, userID, "passkey_id", k.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := passkeyView(k)
	return &out, nil
}

// createPasskey stores k; a credential registered before is refused.
func (p *passkeys) createPasskey(ctx context.Context, st storage.Passkeys, k *storage.Passkey, field string) error {
	err := st.CreatePasskey(ctx, k)
	var d *storage.DuplicateError
	if errors.As(err, &d) && d.Field == "credential_id" {
		return refusal(field, onboardkit.FieldAlreadyRegistered, "This passkey is already registered.")
	}
	return err
}

func checkPasskeyName(name, field string) *onboardkit.FieldError {
	switch {
	case len(name) > 64:
		return &onboardkit.FieldError{Field: field, Code: onboardkit.FieldTooLong, Message: "A passkey name has at most 64 characters."}
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return &onboardkit.FieldError{Field: field, Code: onboardkit.FieldInvalidCharacters, Message: "A passkey name has no control characters."}
	}
	return nil
}

// list is Service.ListPasskeys.
func (p *passkeys) list(ctx context.Context, userID string) ([]Passkey, error) {
	ks, err := p.store.ListPasskeys(ctx, userID)
	if err != nil {
		return nil, p.storeErr(ctx, "list passkeys", err)
	}
	out := make([]Passkey, 0, len(ks))
	for _, k := range ks {
		out = append(out, passkeyView(k))
	}
	return out, nil
}

// remove is Service.RemovePasskey: a recent login is required, as for
// removing an authenticator app.
func (p *passkeys) remove(ctx context.Context, userID, passkeyID string) error {
	u, err := p.getUser(ctx, userID)
	if err != nil {
		return err
	}
	if err := p.contacts.requireRecentAuth(u); err != nil {
		return err
	}
	err = p.step(ctx, "remove passkey", func(ctx context.Context, tx *unit) error {
		if err := tx.DeletePasskey(ctx, userID, passkeyID); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return onboardkit.CodeNotFound.Err()
			}
			return err
		}
		tx.raise(EventPasskeyRemoved, userID, "passkey_id", passkeyID)
		return nil
	})
	if err != nil {
		return err
	}
	p.contacts.notifyUser(ctx, u, notice{"passkey_removed", "A passkey was removed from your account. If you did not do this, contact support at once."})
	return nil
}

// ---------------------------------------------------------------------------
// Login

// assertion is a verified assertion: the passkey and what to record.
type assertion struct {
	key      *storage.Passkey
	count    uint32
	backedUp bool
}

// verifyAssertion checks an assertion for the ceremony id. With userID set
// (a login's second factor) the passkey must be one of that user's; without
// (a passwordless login) the credential is discovered and its user handle
// must match the one registered.
func (p *passkeys) verifyAssertion(ctx context.Context, id, userID string, credential []byte) (*assertion, error) {
	const field = "credential"
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credential)
	if err != nil {
		return nil, otp.CountAttempt(refusal(field, onboardkit.FieldMalformed, "The passkey response is malformed."))
	}
	k, err := p.store.GetPasskey(ctx, parsed.RawID)
	switch {
	case errors.Is(err, storage.ErrNotFound), err == nil && userID != "" && k.UserID != userID:
		return nil, otp.CountAttempt(refusal(field, onboardkit.FieldUnknownCredential, "This passkey is not registered."))
	case err != nil:
		return nil, p.storeErr(ctx, "get passkey", err)
	}
	user := waUser{handle: k.UserHandle, creds: []webauthn.Credential{credentialOf(k)}}
	var cred *webauthn.Credential
	if userID != "" {
		cred, err = p.wa.ValidateLogin(user, p.session(id, k.UserHandle, [][]byte{k.CredentialID}), parsed)
	} else {
		if subtle.ConstantTimeCompare(parsed.Response.UserHandle, k.UserHandle) != 1 {
			return nil, otp.CountAttempt(refusal(field, onboardkit.FieldUnknownCredential, "This passkey is not registered."))
		}
		_, cred, err = p.wa.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return user, nil }, p.session(id, nil, nil), parsed)
	}
	if err != nil {
		return nil, otp.CountAttempt(classify(field, err))
	}
	n := cred.Authenticator.SignCount
	if (n != 0 || k.SignCount != 0) && n <= k.SignCount {
		p.audit(ctx, p.event(EventLoginFailed, k.UserID, "reason", "passkey_counter", "passkey_id", k.ID))
		return nil, otp.CountAttempt(onboardkit.CodePasskeyCloned.Err())
	}
	return &assertion{key: k, count: n, backedUp: cred.Flags.BackupState}, nil
}

// use records the assertion in a unit of work: a concurrent use that read
// the same counter makes this one a replay.
func (a *assertion) use(ctx context.Context, st storage.Passkeys, now time.Time) error {
	err := st.UsePasskey(ctx, a.key.CredentialID, a.key.SignCount, a.count, a.backedUp, now)
	if errors.Is(err, storage.ErrConflict) {
		return onboardkit.CodePasskeyCloned.Err()
	}
	return err
}

// loginChallenge issues the passkey second factor of a login for u through
// st (a login's unit of work): the login challenge of channel passkey,
// with the assertion options.
func (p *passkeys) loginChallenge(ctx context.Context, st storage.Challenges, u *storage.User, keys []*storage.Passkey, deviceID string) (*LoginResult, error) {
	ch, err := p.issue(ctx, st, u.ID, otp.PurposeLogin, []byte(deviceID))
	if err != nil {
		return nil, err
	}
	opts, err := p.requestOptions(ch.ID, keys)
	if err != nil {
		return nil, err
	}
	v := challengeView(*ch)
	v.PublicKey = opts
	return &LoginResult{SessionID: ch.ID, Challenge: v}, nil
}

// answerLogin is Service.VerifyLoginPasskey.
func (p *passkeys) answerLogin(ctx context.Context, sessionID string, credential []byte) (*AuthResult, error) {
	if err := p.enabled(); err != nil {
		return nil, err
	}
	if err := requireCredential(credential); err != nil {
		return nil, err
	}
	ch, err := p.codes.Get(ctx, sessionID)
	if err != nil || ch.Purpose != otp.PurposeLogin || ch.Channel != otp.ChannelPasskey {
		return nil, onboardkit.CodeInvalidCode.Err()
	}
	var a *assertion
	v, err := p.codes.CheckFactor(ctx, sessionID, otp.PurposeLogin, func(ctx context.Context, userID string) error {
		var err error
		a, err = p.verifyAssertion(ctx, sessionID, userID, credential)
		return err
	})
	if err != nil {
		return nil, p.storeErr(ctx, "check passkey", err)
	}
	return p.creds.finishWith(ctx, v, v.Challenge.UserID, "passkey", func(ctx context.Context, tx *unit, now time.Time) error {
		if err := a.use(ctx, tx, now); err != nil {
			return err
		}
		tx.raise(EventPasskeyUsed, a.key.UserID, "passkey_id", a.key.ID, "method", "second_factor")
		return nil
	})
}

// beginLogin is Service.BeginPasskeyLogin.
func (p *passkeys) beginLogin(ctx context.Context) (*PasskeyOptions, error) {
	if err := p.enabled(); err != nil {
		return nil, err
	}
	device, err := newDeviceID(p.rt.Rand)
	if err != nil {
		return nil, p.storeErr(ctx, "device id", err)
	}
	ch, err := p.issue(ctx, p.store, "", purposePasskeyLogin, []byte(device))
	if err != nil {
		return nil, err
	}
	opts, err := p.requestOptions(ch.ID, nil)
	if err != nil {
		return nil, err
	}
	return &PasskeyOptions{CeremonyID: ch.ID, PublicKey: opts, ExpiresAt: ch.ExpiresAt.UTC()}, nil
}

// finishLogin is Service.LoginWithPasskey.
func (p *passkeys) finishLogin(ctx context.Context, ceremonyID string, credential []byte) (*AuthResult, error) {
	if err := p.enabled(); err != nil {
		return nil, err
	}
	if err := requireCredential(credential); err != nil {
		return nil, err
	}
	var a *assertion
	v, err := p.codes.CheckFactor(ctx, ceremonyID, purposePasskeyLogin, func(ctx context.Context, _ string) error {
		var err error
		a, err = p.verifyAssertion(ctx, ceremonyID, "", credential)
		return err
	})
	if err != nil {
		return nil, p.storeErr(ctx, "check passkey", err)
	}
	return p.creds.finishWith(ctx, v, a.key.UserID, "passkey", func(ctx context.Context, tx *unit, now time.Time) error {
		if err := a.use(ctx, tx, now); err != nil {
			return err
		}
		tx.raise(EventPasskeyUsed, a.key.UserID, "passkey_id", a.key.ID, "method", "passwordless")
		return nil
	})
}

// ---------------------------------------------------------------------------
// Integrator

// integratorChallenge is Service.IssuePasskeyChallenge.
func (p *passkeys) integratorChallenge(ctx context.Context, req PasskeyChallengeRequest) (*PasskeyChallenge, error) {
	if err := p.enabled(); err != nil {
		return nil, err
	}
	var fields []onboardkit.FieldError
	for _, f := range []struct{ name, v string }{{"userName", req.UserName}, {"displayName", req.DisplayName}} {
		if fe := checkPasskeyName(f.v, f.name); fe != nil {
			fe.Message = "At most 64 characters, no control characters."
			fields = append(fields, *fe)
		}
	}
	if len(fields) > 0 {
		return nil, onboardkit.ValidationError(fields...)
	}
	handle, err := p.newHandle()
	if err != nil {
		return nil, err
	}
	ch, err := p.issue(ctx, p.store, "", purposePasskeyIntegrator, handle)
	if err != nil {
		return nil, err
	}
	opts, err := p.creationOptions(ch.ID, handle, req.UserName, req.DisplayName, nil)
	if err != nil {
		return nil, err
	}
	return &PasskeyChallenge{Challenge: base64.RawURLEncoding.EncodeToString(p.challengeOf(ch.ID)), PublicKey: opts, ExpiresAt: ch.ExpiresAt.UTC()}, nil
}

// enrolled is an integrator's attestation that verified: the passkey to
// store and the ceremony to consume with it.
type enrolled struct {
	key      *storage.Passkey
	verified *otp.Verified
}

// verifyAuthenticators checks each authenticator of an individual-account
// request against a passkey challenge this service issued to an
// integrator and not used yet; the problems are field errors naming
// authenticators[i].
func (p *passkeys) verifyAuthenticators(ctx context.Context, auths []kyc.Authenticator) ([]enrolled, []onboardkit.FieldError, error) {
	if len(auths) == 0 {
		return nil, nil, nil
	}
	if p.wa == nil {
		return nil, []onboardkit.FieldError{{Field: "authenticators", Code: onboardkit.FieldUnsupported, Message: "Passkeys are not enabled on this service."}}, nil
	}
	var (
		out    []enrolled
		fields []onboardkit.FieldError
		seen   = map[string]bool{}
	)
	for i, a := range auths {
		field := fmt.Sprintf("authenticators[%d]", i)
		cred, fe := credentialJSON(a, field)
		if fe != nil {
			fields = append(fields, fe...)
			continue
		}
		id := p.ceremonyOf(a.Challenge)
		if id == "" || seen[id] {
			fields = append(fields, onboardkit.FieldError{Field: field + ".challenge", Code: onboardkit.FieldInvalidCode,
				Message: "The challenge was not issued by POST /v1/integrator/passkey-challenges, or is used twice."})
			continue
		}
		seen[id] = true
		ch, err := p.codes.Get(ctx, id)
		if err != nil || ch.Purpose != purposePasskeyIntegrator {
			fields = append(fields, onboardkit.FieldError{Field: field + ".challenge", Code: onboardkit.FieldInvalidCode, Message: "The challenge is unknown."})
			continue
		}
		var k *storage.Passkey
		v, err := p.codes.CheckFactor(ctx, id, purposePasskeyIntegrator, func(context.Context, string) error {
			var err error
			k, err = p.verifyRegistration(field, id, ch.Payload, cred)
			if err != nil {
				return otp.CountAttempt(err)
			}
			return nil
		})
		if err != nil {
			e := onboardkit.AsError(err)
			switch {
			case e == nil:
				return nil, nil, err
			case e.Code == onboardkit.CodePasskeyInvalid:
				fields = append(fields, e.Fields...)
			case e.Code == onboardkit.CodeInvalidCode || e.Code == onboardkit.CodeCodeExpired || e.Code == onboardkit.CodeTooManyAttempts:
				fields = append(fields, onboardkit.FieldError{Field: field + ".challenge", Code: onboardkit.FieldCode(e.Code), Message: "The challenge is used, expired or burned; request a new one."})
			default:
				return nil, nil, err
			}
			continue
		}
		name := strings.TrimSpace(a.AuthenticatorName)
		if name == "" {
			name = "Passkey"
		}
		k.Name = name
		out = append(out, enrolled{key: k, verified: v})
	}
	return out, fields, nil
}

// Transports of the seed (AUTHENTICATOR_TRANSPORT_…) and their WebAuthn
// names.
var transportNames = map[string]string{
	"AUTHENTICATOR_TRANSPORT_USB": "usb", "AUTHENTICATOR_TRANSPORT_NFC": "nfc", "AUTHENTICATOR_TRANSPORT_BLE": "ble",
	"AUTHENTICATOR_TRANSPORT_INTERNAL": "internal", "AUTHENTICATOR_TRANSPORT_HYBRID": "hybrid",
	"AUTHENTICATOR_TRANSPORT_SMART_CARD": "smart-card",
}

// AuthenticatorTransports lists the transports an Attestation accepts.
func AuthenticatorTransports() []string {
	return []string{"AUTHENTICATOR_TRANSPORT_USB", "AUTHENTICATOR_TRANSPORT_NFC", "AUTHENTICATOR_TRANSPORT_BLE",
		"AUTHENTICATOR_TRANSPORT_INTERNAL", "AUTHENTICATOR_TRANSPORT_HYBRID", "AUTHENTICATOR_TRANSPORT_SMART_CARD"}
}

// b64url re-encodes a base64 or base64url value as unpadded base64url.
func b64url(s string) (string, bool) {
	s = strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(strings.TrimSpace(s)), "=")
	if s == "" {
		return "", false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return s, err == nil
}

// credentialJSON builds the PublicKeyCredential JSON go-webauthn parses.
func credentialJSON(a kyc.Authenticator, field string) ([]byte, []onboardkit.FieldError) {
	var fields []onboardkit.FieldError
	if fe := checkPasskeyName(a.AuthenticatorName, field+".authenticatorName"); fe != nil {
		fields = append(fields, *fe)
	}
	if strings.TrimSpace(a.Challenge) == "" {
		fields = append(fields, onboardkit.FieldError{Field: field + ".challenge", Code: onboardkit.FieldRequired, Message: "The challenge is required."})
	}
	enc := func(name, v string) string {
		if strings.TrimSpace(v) == "" {
			fields = append(fields, onboardkit.FieldError{Field: field + ".attestation." + name, Code: onboardkit.FieldRequired, Message: "Required."})
			return ""
		}
		out, ok := b64url(v)
		if !ok {
			fields = append(fields, onboardkit.FieldError{Field: field + ".attestation." + name, Code: onboardkit.FieldMalformed, Message: "Not base64url."})
		}
		return out
	}
	id := enc("credentialId", a.Attestation.CredentialID)
	cd := enc("clientDataJson", a.Attestation.ClientDataJSON)
	ao := enc("attestationObject", a.Attestation.AttestationObject)
	transports := []string{}
	for j, t := range a.Attestation.Transports {
		name, ok := transportNames[t]
		if !ok {
			fields = append(fields, onboardkit.FieldError{Field: fmt.Sprintf("%s.attestation.transports[%d]", field, j), Code: onboardkit.FieldInvalidEnum,
				Message: "One of " + strings.Join(AuthenticatorTransports(), ", ") + "."})
			continue
		}
		transports = append(transports, name)
	}
	if len(fields) > 0 {
		return nil, fields
	}
	b, err := json.Marshal(map[string]any{
		"id": id, "rawId": id, "type": "public-key",
		"response": map[string]any{"clientDataJSON": cd, "attestationObject": ao, "transports": transports},
	})
	if err != nil {
		return nil, []onboardkit.FieldError{{Field: field, Code: onboardkit.FieldMalformed, Message: "Malformed."}}
	}
	return b, nil
}

// enroll stores the verified passkeys of a new user and consumes their
// ceremonies, in the unit of work that creates the user.
func (p *passkeys) enroll(ctx context.Context, tx *unit, userID string, es []enrolled, now time.Time) error {
	for i, e := range es {
		if err := p.codes.WithStore(tx).Consume(ctx, e.verified); err != nil {
			field := fmt.Sprintf("authenticators[%d].challenge", i)
			return onboardkit.ValidationError(onboardkit.FieldError{Field: field, Code: onboardkit.FieldInvalidCode, Message: "The challenge was used meanwhile."})
		}
		k := e.key
		id, err := p.newID()
		if err != nil {
			return err
		}
		k.ID, k.UserID, k.CreatedAt = id, userID, now
		if err := p.createPasskey(ctx, tx, k, fmt.Sprintf("authenticators[%d]", i)); err != nil {
			if e := onboardkit.AsError(err); e != nil && e.Code == onboardkit.CodePasskeyInvalid {
				return onboardkit.ValidationError(e.Fields...)
			}
			return err
		}
		tx.raise(EventPasskeyAdded, userID, "passkey_id", id)
	}
	return nil
}
