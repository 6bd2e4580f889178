package storagetest

import (
	"slices"
	"strings"

	"github.com/onboardkit/onboardkit/storage"
)

// newUser returns a complete user with unique id, phone and email, both
// verified (so that they are unique), a sealed profile, compliance and
// metadata (which stores the user's data key), and roles out of
// alphabetical order.
func (f *fixture) newUser() *storage.User { return f.newUserWithID(id("user")) }

// newUserWithID is newUser with the id uid.
func (f *fixture) newUserWithID(uid string) *storage.User {
	return &storage.User{
		ID:               uid,
		Phone:            phone(),
		PhoneVerified:    true,
		Email:            email(),
		EmailVerified:    true,
		Locale:           "fr-FR",
		Status:           "registered",
		KYCStatus:        "not_started",
		Profile:          f.seal(uid, fieldProfile, clearProfile),
		Compliance:       f.seal(uid, fieldCompliance, clearCompliance),
		ProfileComplete:  true,
		Roles:            []string{"trader", "beta", "support"},
		Metadata:         f.seal(uid, fieldMetadata, clearMetadata),
		AdminLocked:      true,
		TokensValidAfter: f.at(4),
		LastAuthAt:       f.at(5),
		CreatedAt:        f.at(0),
		UpdatedAt:        f.at(6),
	}
}

// createUser stores a new user and returns it.
func (f *fixture) createUser() *storage.User {
	f.Helper()
	u := f.newUser()
	f.ok(f.s.CreateUser(f.ctx, u), "CreateUser")
	return u
}

func (f *fixture) getUser(id string) *storage.User {
	f.Helper()
	u, err := f.s.GetUser(f.ctx, id)
	f.ok(err, "GetUser")
	return u
}

var userTests = []test{
	{"CreateAndGet", func(f *fixture) {
		u := f.newUser()
		u.Version = 42
		want := u.Clone()
		want.Version = 1
		f.ok(f.s.CreateUser(f.ctx, u), "CreateUser")
		f.check(u.Version == 1, "CreateUser set u.Version = %d, want 1", u.Version)

		got, err := f.s.GetUser(f.ctx, u.ID)
		f.ok(err, "GetUser")
		f.equal(got, want, "GetUser")
		f.userOpens(got, clearProfile)
		got, err = f.s.GetUserByPhone(f.ctx, u.Phone)
		f.ok(err, "GetUserByPhone")
		f.equal(got, want, "GetUserByPhone")
		for _, e := range []string{u.Email, strings.ToLower(u.Email), strings.ToUpper(u.Email)} {
			got, err = f.s.GetUserByEmail(f.ctx, e)
			f.ok(err, "GetUserByEmail "+e)
			f.equal(got, want, "GetUserByEmail")
		}
	}},
	{"MinimalUser", func(f *fixture) {
		u := &storage.User{ID: id("user"), Phone: phone(), Status: "registered", CreatedAt: f.at(0), UpdatedAt: f.at(0)}
		f.ok(f.s.CreateUser(f.ctx, u), "CreateUser")
		got := f.getUser(u.ID)
		f.check(got.Profile.IsZero() && got.Compliance.IsZero() && got.Metadata.IsZero(),
			"zero Profile/Compliance/Metadata came back as %+v / %+v / %+v", got.Profile, got.Compliance, got.Metadata)
		f.check(len(got.Roles) == 0 && !got.ProfileComplete, "no roles, incomplete profile came back as %q, %v", got.Roles, got.ProfileComplete)
		want := u.Clone()
		f.equal(got, want, "GetUser")
	}},
	{"RolesMetadataProfileComplete", func(f *fixture) {
		// Roles keep the order given; nil and empty are the same (no
		// roles); the metadata and ProfileComplete are replaced by
		// UpdateUser like every field.
		u := f.newUser()
		u.Roles, u.ProfileComplete, u.Metadata = nil, false, storage.Sealed{}
		f.ok(f.s.CreateUser(f.ctx, u), "CreateUser")
		for _, step := range []struct {
			name     string
			roles    []string
			complete bool
			metadata []byte // sealed when not nil
		}{
			{"one role", []string{"ops"}, false, nil},
			{"roles in the order given", []string{"zeta", "alpha", "Mid", "alpha-2"}, true, clearMetadata},
			{"empty roles", []string{}, true, []byte(`{"k":"v"}`)},
			{"roles again", []string{"b", "a"}, false, nil},
			{"nil roles", nil, false, clearMetadata},
		} {
			u.Roles, u.ProfileComplete, u.Metadata = step.roles, step.complete, storage.Sealed{}
			if step.metadata != nil {
				u.Metadata = f.seal(u.ID, fieldMetadata, step.metadata)
			}
			f.ok(f.s.UpdateUser(f.ctx, u), "UpdateUser: "+step.name)
			got := f.getUser(u.ID)
			f.equal(got, u, "GetUser: "+step.name)
			f.check(slices.Equal(got.Roles, step.roles), "%s: roles = %q, want %q", step.name, got.Roles, step.roles)
			f.opens(u.ID, fieldMetadata, got.Metadata, step.metadata, step.name+": metadata")
			byPhone, err := f.s.GetUserByPhone(f.ctx, u.Phone)
			f.ok(err, "GetUserByPhone")
			f.equal(byPhone, u, "GetUserByPhone: "+step.name)
			byEmail, err := f.s.GetUserByEmail(f.ctx, u.Email)
			f.ok(err, "GetUserByEmail")
			f.equal(byEmail, u, "GetUserByEmail: "+step.name)
		}
	}},
	{"NotFound", func(f *fixture) {
		f.createUser()
		_, err := f.s.GetUser(f.ctx, id("missing"))
		f.is(err, storage.ErrNotFound, "GetUser")
		_, err = f.s.GetUserByPhone(f.ctx, phone())
		f.is(err, storage.ErrNotFound, "GetUserByPhone")
		_, err = f.s.GetUserByEmail(f.ctx, email())
		f.is(err, storage.ErrNotFound, "GetUserByEmail")
		// Pinned: updating a missing user is ErrNotFound.
		err = f.s.UpdateUser(f.ctx, f.newUser())
		f.is(err, storage.ErrNotFound, "UpdateUser of a missing user")
	}},
	{"EmptyPhoneAndEmailDoNotCollide", func(f *fixture) {
		// Pinned: an empty phone or email is "none", not a unique value.
		for range 2 {
			u := f.newUser()
			u.Email = ""
			f.ok(f.s.CreateUser(f.ctx, u), "CreateUser without email")
			u = f.newUser()
			u.Phone = ""
			f.ok(f.s.CreateUser(f.ctx, u), "CreateUser without phone")
		}
		_, err := f.s.GetUserByEmail(f.ctx, "")
		f.is(err, storage.ErrNotFound, "GetUserByEmail(\"\")")
		_, err = f.s.GetUserByPhone(f.ctx, "")
		f.is(err, storage.ErrNotFound, "GetUserByPhone(\"\")")
	}},
	{"DuplicatePhone", func(f *fixture) {
		u := f.createUser()
		v := f.newUser()
		v.Phone = u.Phone
		f.dup(f.s.CreateUser(f.ctx, v), "phone", "CreateUser with a taken phone")
		_, err := f.s.GetUser(f.ctx, v.ID)
		f.is(err, storage.ErrNotFound, "the refused user")
		_, err = f.s.GetUserByEmail(f.ctx, v.Email)
		f.is(err, storage.ErrNotFound, "the refused user's email")
	}},
	{"DuplicateEmailCaseInsensitive", func(f *fixture) {
		u := f.createUser()
		for _, e := range []string{u.Email, strings.ToLower(u.Email), strings.ToUpper(u.Email)} {
			v := f.newUser()
			v.Email = e
			f.dup(f.s.CreateUser(f.ctx, v), "email", "CreateUser with taken email "+e)
			_, err := f.s.GetUserByPhone(f.ctx, v.Phone)
			f.is(err, storage.ErrNotFound, "the refused user's phone")
		}
	}},
	{"DuplicateID", func(f *fixture) {
		u := f.createUser()
		v := f.newUser()
		v.ID = u.ID
		// Pinned: Field "id".
		f.dup(f.s.CreateUser(f.ctx, v), "id", "CreateUser with a taken id")
		_, err := f.s.GetUserByPhone(f.ctx, v.Phone)
		f.is(err, storage.ErrNotFound, "the refused user's phone")
		f.equal(f.getUser(u.ID), u, "the first user")
	}},
	{"Update", func(f *fixture) {
		u := f.createUser()
		oldPhone, oldEmail := u.Phone, u.Email
		u.Phone, u.Email = phone(), email()
		u.Status = "contact_verified"
		u.Profile = f.seal(u.ID, fieldProfile, clearProfileChanged)
		u.Compliance = storage.Sealed{}
		u.UpdatedAt = f.at(60)
		f.ok(f.s.UpdateUser(f.ctx, u), "UpdateUser")
		f.check(u.Version == 2, "UpdateUser set u.Version = %d, want 2", u.Version)
		f.equal(f.getUser(u.ID), u, "updated user")
		f.userOpens(f.getUser(u.ID), clearProfileChanged)

		got, err := f.s.GetUserByPhone(f.ctx, u.Phone)
		f.ok(err, "GetUserByPhone(new phone)")
		f.equal(got, u, "by new phone")
		got, err = f.s.GetUserByEmail(f.ctx, strings.ToLower(u.Email))
		f.ok(err, "GetUserByEmail(new email)")
		f.equal(got, u, "by new email")
		_, err = f.s.GetUserByPhone(f.ctx, oldPhone)
		f.is(err, storage.ErrNotFound, "old phone")
		_, err = f.s.GetUserByEmail(f.ctx, oldEmail)
		f.is(err, storage.ErrNotFound, "old email")

		// The old phone and email are free again.
		v := f.newUser()
		v.Phone, v.Email = oldPhone, oldEmail
		f.ok(f.s.CreateUser(f.ctx, v), "CreateUser with the released phone and email")

		// Changing only the case of one's own email is not a duplicate.
		u.Email = strings.ToUpper(u.Email)
		f.ok(f.s.UpdateUser(f.ctx, u), "UpdateUser with own email in another case")
		f.check(u.Version == 3, "u.Version = %d, want 3", u.Version)
		// Dropping the email.
		u.Email = ""
		f.ok(f.s.UpdateUser(f.ctx, u), "UpdateUser without email")
		f.equal(f.getUser(u.ID), u, "user without email")
	}},
	{"UpdateStaleVersion", func(f *fixture) {
		u := f.createUser()
		stale := u.Clone()
		u.Status = "contact_verified"
		f.ok(f.s.UpdateUser(f.ctx, u), "UpdateUser")
		stale.Status = "locked"
		stale.Phone = phone()
		f.is(f.s.UpdateUser(f.ctx, stale), storage.ErrConflict, "UpdateUser with a stale version")
		f.check(stale.Version == 1, "a refused UpdateUser changed u.Version to %d", stale.Version)
		f.equal(f.getUser(u.ID), u, "user after the refused update")
		_, err := f.s.GetUserByPhone(f.ctx, stale.Phone)
		f.is(err, storage.ErrNotFound, "phone of the refused update")

		future := u.Clone()
		future.Version = 99
		f.is(f.s.UpdateUser(f.ctx, future), storage.ErrConflict, "UpdateUser with a future version")
	}},
	{"UpdateDuplicate", func(f *fixture) {
		u, other := f.createUser(), f.createUser()
		v := u.Clone()
		v.Phone = other.Phone
		f.dup(f.s.UpdateUser(f.ctx, v), "phone", "UpdateUser to a taken phone")
		v = u.Clone()
		v.Email = strings.ToLower(other.Email)
		f.dup(f.s.UpdateUser(f.ctx, v), "email", "UpdateUser to a taken email")
		f.equal(f.getUser(u.ID), u, "user after refused updates")
		got, err := f.s.GetUserByPhone(f.ctx, other.Phone)
		f.ok(err, "GetUserByPhone(other)")
		f.equal(got, other, "the other user")
	}},
	{"DeepCopy", func(f *fixture) {
		u := f.newUser()
		f.ok(f.s.CreateUser(f.ctx, u), "CreateUser")
		want := u.Clone()
		u.Profile.Data[0] ^= 0xff
		u.Profile.KeyRef = "mutated"
		u.Compliance.Data[1] ^= 0xff
		u.Metadata.Data[0] ^= 0xff
		u.Roles[0] = "mutated"
		u.Status = "mutated"
		got := f.getUser(u.ID)
		f.equal(got, want, "after mutating the record passed in")

		got.Profile.Data[2] ^= 0xff
		got.Compliance.Data[3] ^= 0xff
		got.Compliance.KeyRef = "mutated"
		got.Metadata.Data[1] ^= 0xff
		got.Roles[1] = "mutated"
		f.equal(f.getUser(u.ID), want, "after mutating a returned record")
		f.userOpens(f.getUser(u.ID), clearProfile)

		// UpdateUser copies too.
		upd := want.Clone()
		upd.Locale = "en-GB"
		f.ok(f.s.UpdateUser(f.ctx, upd), "UpdateUser")
		want = upd.Clone()
		upd.Profile.Data[4] ^= 0xff
		upd.Roles[2] = "mutated"
		upd.Locale = "mutated"
		f.equal(f.getUser(u.ID), want, "after mutating the record passed to UpdateUser")
	}},
}

// ---------------------------------------------------------------------------
// Credentials

var credentialTests = []test{
	{"SetAndHistory", func(f *fixture) {
		uid := f.userID()
		for i, h := range []string{"h1", "h2", "h3", "h4"} {
			f.ok(f.s.SetPassword(f.ctx, uid, h, f.at(i), 3), "SetPassword")
		}
		cur, err := f.s.GetPassword(f.ctx, uid)
		f.ok(err, "GetPassword")
		f.check(cur == "h4", "GetPassword = %q, want h4", cur)
		hist, err := f.s.PasswordHistory(f.ctx, uid, 10)
		f.ok(err, "PasswordHistory")
		f.equal(hist, []string{"h4", "h3", "h2"}, "history kept 3, newest first")
		hist, err = f.s.PasswordHistory(f.ctx, uid, 2)
		f.ok(err, "PasswordHistory(2)")
		f.equal(hist, []string{"h4", "h3"}, "history limited to 2")

		// keep < 1 keeps the current one only.
		f.ok(f.s.SetPassword(f.ctx, uid, "h5", f.at(10), 0), "SetPassword keep 0")
		hist, err = f.s.PasswordHistory(f.ctx, uid, 10)
		f.ok(err, "PasswordHistory")
		f.equal(hist, []string{"h5"}, "history with keep 0")
		f.ok(f.s.SetPassword(f.ctx, uid, "h6", f.at(11), 5), "SetPassword")
		hist, err = f.s.PasswordHistory(f.ctx, uid, 10)
		f.ok(err, "PasswordHistory")
		f.equal(hist, []string{"h6", "h5"}, "history grows again")
	}},
	{"PerUser", func(f *fixture) {
		a, b := f.userID(), f.userID()
		f.ok(f.s.SetPassword(f.ctx, a, "a1", f.at(0), 5), "SetPassword a")
		f.ok(f.s.SetPassword(f.ctx, b, "b1", f.at(0), 5), "SetPassword b")
		f.ok(f.s.SetPassword(f.ctx, a, "a2", f.at(1), 5), "SetPassword a")
		hist, err := f.s.PasswordHistory(f.ctx, b, 10)
		f.ok(err, "PasswordHistory b")
		f.equal(hist, []string{"b1"}, "b's history")
		cur, err := f.s.GetPassword(f.ctx, a)
		f.ok(err, "GetPassword a")
		f.check(cur == "a2", "GetPassword(a) = %q", cur)
	}},
	{"NotFound", func(f *fixture) {
		_, err := f.s.GetPassword(f.ctx, id("user"))
		f.is(err, storage.ErrNotFound, "GetPassword")
		hist, err := f.s.PasswordHistory(f.ctx, id("user"), 5)
		if err != nil {
			f.is(err, storage.ErrNotFound, "PasswordHistory of an unknown user")
		}
		f.check(len(hist) == 0, "PasswordHistory of an unknown user = %v", hist)
	}},
	{"GetLogin", func(f *fixture) {
		// GetLogin reads what GetUserByPhone or GetUserByEmail, GetPassword
		// and GetTOTP give, at once.
		bare := f.createUser() // no password, no authenticator
		withPassword := f.createUser()
		f.ok(f.s.SetPassword(f.ctx, withPassword.ID, "h1", f.at(1), 3), "SetPassword")
		f.ok(f.s.SetPassword(f.ctx, withPassword.ID, "h2", f.at(2), 3), "SetPassword")
		pending := f.createUser() // an enrollment not confirmed yet
		f.ok(f.s.PutTOTP(f.ctx, f.newTOTPFor(pending.ID)), "PutTOTP")
		confirmed := f.createUser()
		for range 2 {
			pk := f.newPasskey()
			pk.UserID = confirmed.ID
			f.ok(f.s.CreatePasskey(f.ctx, pk), "CreatePasskey")
		}
		e := f.newTOTPFor(confirmed.ID)
		e.Confirmed, e.ConfirmedAt = true, f.at(1)
		f.ok(f.s.PutTOTP(f.ctx, e), "PutTOTP")
		f.ok(f.s.SetPassword(f.ctx, confirmed.ID, "h3", f.at(1), 3), "SetPassword")
		// An unverified holder of the verified user's phone, newer: the
		// verified one is the holder.
		shadow := f.newUser()
		shadow.Phone, shadow.PhoneVerified = confirmed.Phone, false
		shadow.Email, shadow.EmailVerified = strings.ToUpper(confirmed.Email), false
		shadow.CreatedAt = f.at(9)
		f.ok(f.s.CreateUser(f.ctx, shadow), "CreateUser")
		for _, tc := range []struct {
			name     string
			u        *storage.User
			hash     string
			totp     bool
			passkeys int
		}{
			{"no password", bare, "", false, 0},
			{"current password", withPassword, "h2", false, 0},
			{"enrollment not confirmed", pending, "", false, 0},
			{"confirmed authenticator and passkeys", confirmed, "h3", true, 2},
		} {
			for by, value := range map[storage.LoginBy]string{
				storage.LoginByPhone: tc.u.Phone,
				storage.LoginByEmail: strings.ToUpper(tc.u.Email),
				storage.LoginByID:    tc.u.ID,
			} {
				l, err := f.s.GetLogin(f.ctx, by, value)
				f.ok(err, "GetLogin "+tc.name)
				f.equal(l.User, f.getUser(tc.u.ID), "GetLogin user "+tc.name)
				f.check(l.PasswordHash == tc.hash, "%s: hash %q, want %q", tc.name, l.PasswordHash, tc.hash)
				f.check(l.TOTPConfirmed == tc.totp, "%s: TOTP confirmed %v", tc.name, l.TOTPConfirmed)
				f.check(l.Passkeys == tc.passkeys, "%s: %d passkeys, want %d", tc.name, l.Passkeys, tc.passkeys)
			}
		}
		_, err := f.s.GetLogin(f.ctx, storage.LoginByPhone, phone())
		f.is(err, storage.ErrNotFound, "GetLogin of an unknown phone")
		_, err = f.s.GetLogin(f.ctx, storage.LoginByEmail, email())
		f.is(err, storage.ErrNotFound, "GetLogin of an unknown email")
		_, err = f.s.GetLogin(f.ctx, storage.LoginByID, id("user"))
		f.is(err, storage.ErrNotFound, "GetLogin of an unknown id")
		// Only an unverified holder: it is the one read, newest first.
		lone := f.newUser()
		lone.PhoneVerified, lone.EmailVerified = false, false
		f.ok(f.s.CreateUser(f.ctx, lone), "CreateUser")
		l, err := f.s.GetLogin(f.ctx, storage.LoginByPhone, lone.Phone)
		f.ok(err, "GetLogin of an unverified holder")
		f.check(l.User.ID == lone.ID, "GetLogin of an unverified holder: %s", l.User.ID)
	}},
}
