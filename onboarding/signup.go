// This file owns registration: sign-up (the user, the password and the
// confirmation challenge in one unit of work), who holds an identifier (a
// verified one always; an unconfirmed sign-up only until its challenge
// expires or burns, or UnconfirmedTTL passes — then a new sign-up replaces
// it), what a sign-up with a held identifier answers, and the confirmation
// of the sign-up code that verifies the contact and starts the first
// session.

package onboarding

import (
	"context"
	"errors"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/storage"
)

// SignUpRequest is the input of SignUp.
type SignUpRequest struct {
	PhoneNumber string `json:"phoneNumber"`
	Password    string `json:"password"`
	Email       string `json:"email,omitempty"`
	Locale      string `json:"locale,omitempty"`
	// Roles are refused unless the host lets users give themselves these
	// (Config.Roles.SelfAssigned).
	Roles []string `json:"roles,omitempty"`
	// Metadata is the host's string map about the user (at most
	// MaxMapKeys keys of MaxMapKeyBytes, values of MaxMapValueBytes),
	// sealed at rest.
	Metadata map[string]string `json:"metadata,omitempty"`
}

// SignUpResult is the outcome of SignUp.
type SignUpResult struct {
	UserID    string    `json:"userId"`
	Status    Status    `json:"status"`
	Next      []Step    `json:"next"`
	Challenge Challenge `json:"challenge"`
}

type registration struct {
	pii   *pii
	roles RolesConfig
	*core
	contacts *contacts
	creds    *credentials
	sessions *sessions
	// enumerationSafe answers a taken identifier like a success.
	enumerationSafe bool
	// unconfirmedTTL is how long an unconfirmed sign-up holds its
	// identifier at most.
	unconfirmedTTL time.Duration
}

// errHeld reports an identifier another user holds.
const errHeld signal = "onboarding: identifier held"

// claim decides whether a sign-up may take phone and email: it returns the
// id of an unconfirmed, stale sign-up to replace ("" for none), or errHeld.
// The identifier being confirmed (the phone, or the email in email-first
// flows) is held by a verified holder and by a fresh unconfirmed sign-up;
// the other identifier only by a verified holder.
func (r *registration) claim(ctx context.Context, phone, email string) (string, error) {
	byPhone, byEmail, err := holders(ctx, r.store, phone, email)
	if err != nil {
		return "", r.storeErr(ctx, "sign-up lookup", err)
	}
	primary, primaryVerified := byPhone, byPhone != nil && byPhone.PhoneVerified
	secondaryVerified := byEmail != nil && byEmail.EmailVerified
	if r.flow.EmailFirst() {
		primary, primaryVerified = byEmail, secondaryVerified
		secondaryVerified = byPhone != nil && byPhone.PhoneVerified
	}
	switch {
	case secondaryVerified || primaryVerified:
		return "", errHeld
	case primary == nil || Status(primary.Status) != StatusRegistered:
		return "", nil // an unverified identifier of a confirmed user holds nothing
	}
	stale, err := r.stale(ctx, primary)
	switch {
	case err != nil:
		return "", err
	case stale:
		return primary.ID, nil
	}
	return "", errHeld
}

// replace deletes, in the unit of the sign-up by, the stale unconfirmed
// sign-up old that claim chose, with its records. It reads old again in
// the unit: a concurrent sign-up may have replaced it already (nothing to
// do), or it may have been confirmed since claim judged it, while the
// password was hashed (errHeld: the identifier is held now). The version
// read is pinned with a deferred UpdateUser, so a confirmation committing
// before this unit makes the unit run again and see it, rather than the
// delete removing a confirmed user.
func (r *registration) replace(ctx context.Context, tx *unit, old, by string) error {
	_, err := r.pin(ctx, tx, old, func(u *storage.User) error {
		if Status(u.Status) != StatusRegistered || u.PhoneVerified || u.EmailVerified {
			return errHeld
		}
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := tx.DeleteUser(ctx, old); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	if err := r.pii.sealer.Shred(ctx, tx, old); err != nil {
		return err
	}
	tx.raise(EventUserReplaced, old, "replaced_by", by)
	return nil
}

// stale reports whether an unconfirmed sign-up no longer holds its
// identifier: it is older than unconfirmedTTL, or its confirmation
// challenge is gone, expired or burned.
func (r *registration) stale(ctx context.Context, u *storage.User) (bool, error) {
	now := r.now()
	if now.Sub(u.CreatedAt) >= r.unconfirmedTTL {
		return true, nil
	}
	purpose, _ := r.confirmation()
	ch, err := r.store.LatestChallenge(ctx, u.ID, string(purpose))
	if errors.Is(err, storage.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, r.storeErr(ctx, "sign-up challenge lookup", err)
	}
	return !now.Before(ch.ExpiresAt) || ch.Attempts >= ch.MaxAttempts, nil
}

// confirmation is the code that confirms a sign-up: SMS to the phone in
// phone-first flows, email in email-first ones.
func (r *registration) confirmation() (otp.Purpose, otp.Channel) {
	if r.flow.EmailFirst() {
		return otp.PurposeEmailConfirmation, otp.ChannelEmail
	}
	return otp.PurposePhoneConfirmation, otp.ChannelSMS
}

// input validates a sign-up request: every field problem and every password
// rule violated are reported together.
func (r *registration) input(ctx context.Context, req SignUpRequest) (phone, email string, err error) {
	var fields []onboardkit.FieldError
	add := func(fe *onboardkit.FieldError) {
		if fe != nil {
			fields = append(fields, *fe)
		}
	}
	var fe *onboardkit.FieldError
	if req.PhoneNumber != "" || !r.flow.EmailFirst() {
		phone, fe = r.contacts.ids.signUpPhone("phoneNumber", req.PhoneNumber)
		add(fe)
	}
	if req.Email != "" || r.flow.EmailFirst() {
		email, fe = normalizeEmail("email", req.Email)
		add(fe)
	}
	if !validLocale(req.Locale) {
		add(&onboardkit.FieldError{Field: "locale", Code: onboardkit.FieldInvalid, Message: "The locale must be a language tag of at most 35 characters, such as fr or en-GB."})
	}
	fields = append(fields, r.roles.checkRoles("roles", req.Roles, true)...)
	fields = append(fields, checkMap("metadata", req.Metadata)...)
	perr := r.creds.policy.Validate(ctx, req.Password, password.Profile{Phone: phone, Email: email})
	if perr != nil && !errors.Is(perr, onboardkit.ErrPasswordPolicy) {
		return "", "", r.storeErr(ctx, "sign-up policy", perr)
	}
	if len(fields) > 0 {
		if oe := onboardkit.AsError(perr); oe != nil {
			fields = append(fields, oe.Fields...)
		}
		return "", "", onboardkit.ValidationError(fields...)
	}
	return phone, email, perr
}

// signUp is Service.SignUp.
func (r *registration) signUp(ctx context.Context, req SignUpRequest) (*SignUpResult, error) {
	phone, email, err := r.input(ctx, req)
	if err != nil {
		return nil, err
	}
	replace, err := r.claim(ctx, phone, email)
	if errors.Is(err, errHeld) {
		return r.duplicate(ctx, phone, email, req.Locale)
	}
	if err != nil {
		return nil, err
	}
	hash, err := r.creds.hash(ctx, req.Password)
	if err != nil {
		return nil, err
	}
	id, err := r.newID()
	if err != nil {
		return nil, err
	}
	now := r.now()
	u := &storage.User{
		ID: id, Phone: phone, Email: email, Locale: req.Locale, Roles: normalizeRoles(req.Roles),
		Status: string(StatusRegistered), KYCStatus: string(kyc.StatusNotStarted),
		CreatedAt: now, UpdatedAt: now,
	}
	purpose, channel := r.confirmation()
	issue := otp.IssueRequest{UserID: id, Purpose: purpose, Channel: channel, Destination: phone, Locale: req.Locale}
	if channel == otp.ChannelEmail {
		issue.Destination = email
	}
	var pending *otp.Pending
	err = r.step(ctx, "sign-up", func(ctx context.Context, tx *unit) error {
		if replace != "" {
			if err := r.replace(ctx, tx, replace, id); err != nil {
				return err
			}
		}
		if len(req.Metadata) > 0 {
			var err error
			if u.Metadata, err = r.pii.sealJSON(ctx, tx, id, fieldMetadata, req.Metadata); err != nil {
				return err
			}
		}
		// A taken identifier fails the unit when the user is written, with
		// the next statement or the commit: the step's error says so.
		if err := tx.later.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := r.creds.setPassword(ctx, tx.later, id, hash, now); err != nil {
			return err
		}
		var err error
		if pending, err = r.contacts.issueIn(ctx, tx.later, issue); err != nil {
			return err
		}
		tx.raise(EventUserRegistered, id, "signup", string(r.flow.normalized().SignUp))
		return nil
	})
	if errors.Is(err, onboardkit.ErrIdentifierTaken) || errors.Is(err, errHeld) {
		// Lost a race with another sign-up for the same identifier, or
		// with the confirmation of the sign-up it was to replace.
		return r.duplicate(ctx, phone, email, req.Locale)
	}
	if err != nil {
		return nil, err
	}
	ch, err := r.contacts.deliver(ctx, pending)
	return &SignUpResult{UserID: id, Status: StatusRegistered, Next: r.next(u), Challenge: ch}, err
}

// duplicate answers a sign-up whose phone or email is taken: with
// identifier_taken by default, or, in enumeration-safe mode, with a result
// shaped like a success (backed by a decoy challenge no code opens) while
// the owner of the identifier is told of the attempt.
func (r *registration) duplicate(ctx context.Context, phone, email, locale string) (*SignUpResult, error) {
	if !r.enumerationSafe {
		return nil, onboardkit.CodeIdentifierTaken.Err()
	}
	purpose, channel := r.confirmation()
	dest := phone
	if channel == otp.ChannelEmail {
		dest = email
	}
	fakeID, err := r.newID()
	if err != nil {
		return nil, err
	}
	// The decoy looks like the challenge this sign-up would have had.
	pending, err := r.contacts.issue(ctx, otp.IssueRequest{Purpose: purpose, Channel: channel, Destination: dest, Locale: locale})
	if err != nil {
		return nil, err
	}
	r.noticeOwner(ctx, phone, email)
	fake := Progress{Status: StatusRegistered, KYC: kyc.StatusNotStarted}
	return &SignUpResult{UserID: fakeID, Status: StatusRegistered, Next: r.flow.Next(fake), Challenge: challengeView(pending.Challenge)}, nil
}

// noticeOwner tells the owner of a taken identifier, on its channel, that
// someone tried to sign up with it.
func (r *registration) noticeOwner(ctx context.Context, phone, email string) {
	var owner *storage.User
	to, channel := "", otp.ChannelSMS
	if u, err := r.store.GetUserByPhone(ctx, phone); phone != "" && err == nil {
		owner, to = u, u.Phone
	} else if u, err := r.store.GetUserByEmail(ctx, email); email != "" && err == nil {
		owner, to, channel = u, u.Email, otp.ChannelEmail
	}
	if owner == nil {
		return
	}
	r.contacts.notify(ctx, channel, to, owner.Locale, notice{"signup_attempt",
		"Someone tried to sign up with your details. If it was you, log in or reset your password instead."})
	r.audit(ctx, r.event(EventSignUpDuplicate, owner.ID))
}

// confirm is Service.ConfirmPhone.
func (r *registration) confirm(ctx context.Context, challengeID, code string) (*AuthResult, error) {
	purpose, _ := r.confirmation()
	v, err := r.contacts.check(ctx, challengeID, code, purpose)
	if err != nil {
		return nil, r.storeErr(ctx, "check code", err)
	}
	if v.Challenge.UserID == "" || len(v.Challenge.Payload) != 0 {
		return nil, onboardkit.CodeInvalidCode.Err()
	}
	userID, now := v.Challenge.UserID, r.now()
	evType := EventPhoneConfirmed
	if purpose == otp.PurposeEmailConfirmation {
		evType = EventEmailConfirmed
	}
	var u *storage.User
	var sess session
	err = r.step(ctx, "confirm contact", func(ctx context.Context, tx *unit) error {
		// The consumption and the user's update are checked when they run,
		// with the user's read and with the commit (see consumeLater).
		if err := r.contacts.consumeLater(ctx, tx, v); err != nil {
			return err
		}
		var err error
		u, err = r.updateUser(ctx, tx.later, userID, func(u *storage.User) error {
			if err := r.fire(u, TriggerConfirmContact); err != nil {
				return err
			}
			if purpose == otp.PurposeEmailConfirmation {
				u.EmailVerified = true
			} else {
				u.PhoneVerified = true
			}
			u.LastAuthAt = now
			return nil
		})
		if err != nil {
			return err
		}
		if sess, err = r.sessions.start(ctx, tx.later, u.ID, now); err != nil {
			return err
		}
		tx.raise(evType, userID)
		return nil
	})
	if err != nil {
		return nil, r.contacts.explain(ctx, v, err)
	}
	res, err := r.sessions.authResult(ctx, u, sess, now)
	if err != nil {
		return nil, err
	}
	if deviceID, err := newDeviceID(r.rt.Rand); err == nil {
		res.Tokens.DeviceToken = r.creds.throttle.sign(userID, deviceID, now)
	}
	return res, nil
}
