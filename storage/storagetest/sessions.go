package storagetest

import (
	"bytes"
	"errors"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// newToken returns the first token of a new family of userID.
func (f *fixture) newToken(userID string) *storage.RefreshToken {
	return &storage.RefreshToken{
		Hash:            hash(),
		FamilyID:        id("fam"),
		UserID:          userID,
		IssuedAt:        f.at(0),
		FamilyCreatedAt: f.at(0),
		ExpiresAt:       f.at(86400),
	}
}

// nextToken returns the token that replaces t at sec.
func (f *fixture) nextToken(t *storage.RefreshToken, sec int) *storage.RefreshToken {
	return &storage.RefreshToken{
		Hash:            hash(),
		FamilyID:        t.FamilyID,
		UserID:          t.UserID,
		IssuedAt:        f.at(sec),
		FamilyCreatedAt: t.FamilyCreatedAt,
		ExpiresAt:       f.at(sec + 86400),
	}
}

func (f *fixture) createToken(userID string) *storage.RefreshToken {
	f.Helper()
	t := f.newToken(userID)
	f.ok(f.s.CreateRefreshToken(f.ctx, t), "CreateRefreshToken")
	return t
}

// rotatedFamily stores a new family of userID whose first token was rotated
// at +10 s, and returns the first (rotated) and the current token.
func (f *fixture) rotatedFamily(userID string) (first, current *storage.RefreshToken) {
	f.Helper()
	first = f.createToken(userID)
	current = f.nextToken(first, 10)
	f.ok(f.s.RotateRefreshToken(f.ctx, first.Hash, current, f.at(10)), "RotateRefreshToken")
	first.RotatedAt = f.at(10)
	return first, current
}

func (f *fixture) getToken(h []byte) *storage.RefreshToken {
	f.Helper()
	t, err := f.s.GetRefreshToken(f.ctx, h)
	f.ok(err, "GetRefreshToken")
	return t
}

var sessionTests = []test{
	{"CreateAndGet", func(f *fixture) {
		t := f.createToken(f.userID())
		f.equal(f.getToken(bytes.Clone(t.Hash)), t, "GetRefreshToken")
	}},
	{"DuplicateHash", func(f *fixture) {
		t := f.createToken(f.userID())
		d := f.newToken(f.userID())
		d.Hash = bytes.Clone(t.Hash)
		f.dup(f.s.CreateRefreshToken(f.ctx, d), "token", "CreateRefreshToken with a taken hash")
		f.equal(f.getToken(t.Hash), t, "first token")
	}},
	{"NotFound", func(f *fixture) {
		f.createToken(f.userID())
		_, err := f.s.GetRefreshToken(f.ctx, hash())
		f.is(err, storage.ErrNotFound, "GetRefreshToken")
		u := f.newToken(f.userID())
		f.is(f.s.RotateRefreshToken(f.ctx, hash(), f.nextToken(u, 1), f.at(1)), storage.ErrNotFound, "RotateRefreshToken of an unknown hash")
	}},
	{"Rotate", func(f *fixture) {
		t1 := f.createToken(f.userID())
		t2 := f.nextToken(t1, 10)
		f.ok(f.s.RotateRefreshToken(f.ctx, t1.Hash, t2, f.at(10)), "RotateRefreshToken")
		t1.RotatedAt = f.at(10)
		f.equal(f.getToken(t1.Hash), t1, "rotated token")
		f.equal(f.getToken(t2.Hash), t2, "next token")

		t3 := f.nextToken(t1, 20)
		f.is(f.s.RotateRefreshToken(f.ctx, t1.Hash, t3, f.at(20)), storage.ErrConflict, "second rotation of a rotated token")
		_, err := f.s.GetRefreshToken(f.ctx, t3.Hash)
		f.is(err, storage.ErrNotFound, "next token of a refused rotation")
		f.equal(f.getToken(t1.Hash), t1, "rotated token after a refused rotation")

		f.ok(f.s.RotateRefreshToken(f.ctx, t2.Hash, t3, f.at(20)), "rotation of the current token")
		f.equal(f.getToken(t3.Hash), t3, "third token")
	}},
	{"RotateRevoked", func(f *fixture) {
		t1 := f.createToken(f.userID())
		f.ok(f.s.RevokeFamily(f.ctx, t1.FamilyID, f.at(5)), "RevokeFamily")
		t2 := f.nextToken(t1, 10)
		f.is(f.s.RotateRefreshToken(f.ctx, t1.Hash, t2, f.at(10)), storage.ErrConflict, "rotation of a revoked token")
		_, err := f.s.GetRefreshToken(f.ctx, t2.Hash)
		f.is(err, storage.ErrNotFound, "next token of a refused rotation")
		got := f.getToken(t1.Hash)
		f.check(got.RotatedAt.IsZero(), "a refused rotation set RotatedAt")
	}},
	{"RotateToTakenHash", func(f *fixture) {
		t1, other := f.createToken(f.userID()), f.createToken(f.userID())
		t2 := f.nextToken(t1, 10)
		t2.Hash = bytes.Clone(other.Hash)
		err := f.s.RotateRefreshToken(f.ctx, t1.Hash, t2, f.at(10))
		f.check(err != nil, "rotation to a taken hash succeeded")
		f.equal(f.getToken(t1.Hash), t1, "token after a rotation to a taken hash (nothing written)")
		f.equal(f.getToken(other.Hash), other, "the token owning the hash")
	}},
	{"RevokeFamily", func(f *fixture) {
		uid := f.userID()
		t1 := f.createToken(uid)
		t2 := f.nextToken(t1, 10)
		f.ok(f.s.RotateRefreshToken(f.ctx, t1.Hash, t2, f.at(10)), "RotateRefreshToken")
		t3 := f.nextToken(t1, 20)
		f.ok(f.s.RotateRefreshToken(f.ctx, t2.Hash, t3, f.at(20)), "RotateRefreshToken")
		sibling := f.createToken(uid) // another family of the same user

		f.ok(f.s.RevokeFamily(f.ctx, t1.FamilyID, f.at(30)), "RevokeFamily")
		for i, t := range []*storage.RefreshToken{t1, t2, t3} {
			got := f.getToken(t.Hash)
			f.check(got.RevokedAt.Equal(f.at(30)), "token %d of the family: RevokedAt = %v, want %v", i+1, got.RevokedAt, f.at(30))
		}
		f.check(f.getToken(sibling.Hash).RevokedAt.IsZero(), "RevokeFamily revoked another family")
		f.is(f.s.RotateRefreshToken(f.ctx, t3.Hash, f.nextToken(t1, 40), f.at(40)), storage.ErrConflict, "rotation of the revoked current token")
	}},
	{"RevokeUserSessions", func(f *fixture) {
		uid, other := f.userID(), f.userID()
		a, a2 := f.rotatedFamily(uid)
		b := f.createToken(uid)
		o := f.createToken(other)
		f.ok(f.s.RevokeUserSessions(f.ctx, uid, f.at(50)), "RevokeUserSessions")
		for i, t := range []*storage.RefreshToken{a, a2, b} {
			got := f.getToken(t.Hash)
			f.check(got.RevokedAt.Equal(f.at(50)), "token %d: RevokedAt = %v, want %v", i+1, got.RevokedAt, f.at(50))
		}
		f.equal(f.getToken(o.Hash), o, "another user's token")
	}},
	{"RevokeUserSessionsExcept", func(f *fixture) {
		uid, other := f.userID(), f.userID()
		a, a2 := f.rotatedFamily(uid)
		keep, c, o := f.createToken(uid), f.createToken(uid), f.createToken(other)
		f.ok(f.s.RevokeFamily(f.ctx, c.FamilyID, f.at(20)), "RevokeFamily")
		f.ok(f.s.RevokeUserSessionsExcept(f.ctx, uid, keep.FamilyID, f.at(50)), "RevokeUserSessionsExcept")
		for _, tc := range []struct {
			name string
			t    *storage.RefreshToken
			at   int // RevokedAt, -1 for none
		}{
			{"rotated token of another family", a, 50},
			{"current token of another family", a2, 50},
			{"token revoked before (keeps its time)", c, 20},
			{"token of the kept family", keep, -1},
			{"token of another user", o, -1},
		} {
			got := f.getToken(tc.t.Hash)
			revoked, err := f.s.FamilyRevoked(f.ctx, tc.t.FamilyID)
			f.ok(err, "FamilyRevoked: "+tc.name)
			if tc.at < 0 {
				f.check(got.RevokedAt.IsZero() && !revoked, "%s: revoked at %v (FamilyRevoked %v)", tc.name, got.RevokedAt, revoked)
			} else {
				f.check(got.RevokedAt.Equal(f.at(tc.at)) && revoked, "%s: RevokedAt = %v, want %v (FamilyRevoked %v)",
					tc.name, got.RevokedAt, f.at(tc.at), revoked)
			}
		}
		// Keeping a family that is not the user's keeps none of the user's.
		f.ok(f.s.RevokeUserSessionsExcept(f.ctx, uid, o.FamilyID, f.at(60)), "RevokeUserSessionsExcept")
		f.check(f.getToken(keep.Hash).RevokedAt.Equal(f.at(60)), "the user's last family survived keeping another user's")
		f.check(f.getToken(o.Hash).RevokedAt.IsZero(), "another user's family revoked")
	}},
	{"FamilyRevoked", func(f *fixture) {
		// Pinned: a family is revoked when one of its tokens is; rotation
		// is not revocation.
		uid := f.userID()
		_, current := f.rotatedFamily(uid)
		for _, want := range []bool{false, true} {
			if want {
				f.ok(f.s.RevokeUserSessions(f.ctx, uid, f.at(20)), "RevokeUserSessions")
			}
			got, err := f.s.FamilyRevoked(f.ctx, current.FamilyID)
			f.ok(err, "FamilyRevoked")
			f.check(got == want, "FamilyRevoked = %v, want %v", got, want)
		}
		_, err := f.s.FamilyRevoked(f.ctx, id("fam"))
		f.is(err, storage.ErrNotFound, "FamilyRevoked of an unknown family")
	}},
	{"ListSessions", func(f *fixture) {
		// The user's families, by FamilyCreatedAt (seconds from base):
		// a (0) rotated at 10, b (100) expiring at 5000, c (300) revoked,
		// d (50) expired at 900, e (-200000, older than a day), f and g
		// (200, g's FamilyID sorting first); and another user's token.
		uid := f.userID()
		family := func(created, expires int) *storage.RefreshToken {
			t := f.newToken(uid)
			t.IssuedAt, t.FamilyCreatedAt, t.ExpiresAt = f.at(created), f.at(created), f.at(expires)
			return t
		}
		a := family(0, 86400)
		b, c, d, e := family(100, 5000), family(300, 90000), family(50, 900), family(-200000, 90000)
		ff, g := family(200, 90000), family(200, 90000)
		g.FamilyID, ff.FamilyID = ff.FamilyID+"/a", ff.FamilyID+"/b"
		for _, t := range []*storage.RefreshToken{a, b, c, d, e, ff, g} {
			f.ok(f.s.CreateRefreshToken(f.ctx, t), "CreateRefreshToken")
		}
		a2 := f.nextToken(a, 10)
		f.ok(f.s.RotateRefreshToken(f.ctx, a.Hash, a2, f.at(10)), "RotateRefreshToken")
		f.ok(f.s.RevokeFamily(f.ctx, c.FamilyID, f.at(400)), "RevokeFamily")
		f.createToken(f.userID())

		const day = 24 * time.Hour
		for _, tc := range []struct {
			name   string
			now    int
			maxAge time.Duration
			want   []*storage.RefreshToken
		}{
			{"within a day", 1000, day, []*storage.RefreshToken{g, ff, b, a2}},
			{"no maximum age", 1000, 0, []*storage.RefreshToken{g, ff, b, a2, e}},
			{"negative maximum age", 1000, -time.Second, []*storage.RefreshToken{g, ff, b, a2, e}},
			{"expiry is exclusive", 5000, 0, []*storage.RefreshToken{g, ff, a2, e}},
			{"maximum age is exclusive", 86400, day, []*storage.RefreshToken{g, ff}},
			{"families created after now-900s", 1000, 900 * time.Second, []*storage.RefreshToken{g, ff}},
			{"all expired", 90000, 0, nil},
		} {
			got, err := f.s.ListSessions(f.ctx, uid, f.at(tc.now), tc.maxAge)
			f.ok(err, "ListSessions "+tc.name)
			f.equal(got, tc.want, "ListSessions "+tc.name)
		}
		got, err := f.s.ListSessions(f.ctx, id("user"), f.at(1000), 0)
		f.ok(err, "ListSessions of an unknown user")
		f.check(len(got) == 0, "ListSessions of an unknown user = %d tokens", len(got))

		f.ok(f.s.RevokeUserSessionsExcept(f.ctx, uid, b.FamilyID, f.at(2000)), "RevokeUserSessionsExcept")
		got, err = f.s.ListSessions(f.ctx, uid, f.at(2000), day)
		f.ok(err, "ListSessions")
		f.equal(got, []*storage.RefreshToken{b}, "ListSessions after revoking every other family")
		got[0].Hash[0] ^= 0xff
		f.equal(f.getToken(b.Hash), b, "token after mutating a listed one")
	}},
	{"DeepCopy", func(f *fixture) {
		t := f.newToken(f.userID())
		f.ok(f.s.CreateRefreshToken(f.ctx, t), "CreateRefreshToken")
		want := t.Clone()
		t.Hash[0] ^= 0xff
		got := f.getToken(want.Hash)
		f.equal(got, want, "after mutating the record passed in")
		got.Hash[1] ^= 0xff
		f.equal(f.getToken(want.Hash), want, "after mutating a returned record")

		next := f.nextToken(want, 10)
		nextWant := next.Clone()
		f.ok(f.s.RotateRefreshToken(f.ctx, want.Hash, next, f.at(10)), "RotateRefreshToken")
		next.Hash[0] ^= 0xff
		f.equal(f.getToken(nextWant.Hash), nextWant, "after mutating the next token passed in")
	}},
}

// ---------------------------------------------------------------------------
// TOTP

// newTOTP returns an enrollment of a new user.
func (f *fixture) newTOTP() *storage.TOTPEnrollment { return f.newTOTPFor(f.userID()) }

// newTOTPFor returns an enrollment of the user with a sealed secret.
func (f *fixture) newTOTPFor(userID string) *storage.TOTPEnrollment {
	return &storage.TOTPEnrollment{
		UserID:    userID,
		Secret:    f.seal(userID, fieldTOTPSecret, clearTOTPSecret),
		CreatedAt: f.at(0),
	}
}

func (f *fixture) getTOTP(userID string) *storage.TOTPEnrollment {
	f.Helper()
	e, err := f.s.GetTOTP(f.ctx, userID)
	f.ok(err, "GetTOTP")
	return e
}

func (f *fixture) recoveryCount(userID string) int {
	f.Helper()
	n, err := f.s.CountRecoveryCodes(f.ctx, userID)
	f.ok(err, "CountRecoveryCodes")
	return n
}

var totpTests = []test{
	{"PutAndGet", func(f *fixture) {
		e := f.newTOTP()
		f.ok(f.s.PutTOTP(f.ctx, e), "PutTOTP")
		f.equal(f.getTOTP(e.UserID), e, "GetTOTP")
		f.opens(e.UserID, fieldTOTPSecret, f.getTOTP(e.UserID).Secret, clearTOTPSecret, "TOTP secret")
		e.Confirmed, e.ConfirmedAt, e.LastUsedStep = true, f.at(30), 7
		e.Secret = f.seal(e.UserID, fieldTOTPSecret, []byte("KRSXG5CTMVRXEZLU"))
		f.ok(f.s.PutTOTP(f.ctx, e), "PutTOTP replacing")
		f.equal(f.getTOTP(e.UserID), e, "replaced enrollment")
		f.opens(e.UserID, fieldTOTPSecret, f.getTOTP(e.UserID).Secret, []byte("KRSXG5CTMVRXEZLU"), "replaced TOTP secret")
	}},
	{"NotFound", func(f *fixture) {
		_, err := f.s.GetTOTP(f.ctx, id("user"))
		f.is(err, storage.ErrNotFound, "GetTOTP")
		err = f.s.UseTOTPStep(f.ctx, id("user"), 5)
		f.check(errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict),
			"UseTOTPStep without enrollment: got %v, want ErrNotFound or ErrConflict", err)
		f.is(f.s.UseRecoveryCode(f.ctx, id("user"), hash(), f.at(1)), storage.ErrNotFound, "UseRecoveryCode without codes")
		f.check(f.recoveryCount(id("user")) == 0, "CountRecoveryCodes of an unknown user is not 0")
	}},
	{"StepReplayGuard", func(f *fixture) {
		e := f.newTOTP()
		f.ok(f.s.PutTOTP(f.ctx, e), "PutTOTP")
		f.is(f.s.UseTOTPStep(f.ctx, e.UserID, 0), storage.ErrConflict, "UseTOTPStep(0) on a fresh enrollment")
		f.ok(f.s.UseTOTPStep(f.ctx, e.UserID, 1000), "UseTOTPStep(1000)")
		f.is(f.s.UseTOTPStep(f.ctx, e.UserID, 1000), storage.ErrConflict, "replayed step")
		f.is(f.s.UseTOTPStep(f.ctx, e.UserID, 999), storage.ErrConflict, "older step")
		f.ok(f.s.UseTOTPStep(f.ctx, e.UserID, 1002), "UseTOTPStep(1002)")
		e.LastUsedStep = 1002
		f.equal(f.getTOTP(e.UserID), e, "enrollment after steps")
	}},
	{"RecoveryCodes", func(f *fixture) {
		uid, other := f.userID(), f.userID()
		codes := [][]byte{hash(), hash(), hash()}
		f.ok(f.s.SetRecoveryCodes(f.ctx, uid, codes, f.at(0)), "SetRecoveryCodes")
		f.ok(f.s.SetRecoveryCodes(f.ctx, other, [][]byte{hash()}, f.at(0)), "SetRecoveryCodes other")
		f.check(f.recoveryCount(uid) == 3, "CountRecoveryCodes = %d, want 3", f.recoveryCount(uid))

		f.ok(f.s.UseRecoveryCode(f.ctx, uid, bytes.Clone(codes[1]), f.at(1)), "UseRecoveryCode")
		f.is(f.s.UseRecoveryCode(f.ctx, uid, codes[1], f.at(2)), storage.ErrNotFound, "reused recovery code")
		f.is(f.s.UseRecoveryCode(f.ctx, uid, hash(), f.at(2)), storage.ErrNotFound, "unknown recovery code")
		f.is(f.s.UseRecoveryCode(f.ctx, other, codes[0], f.at(2)), storage.ErrNotFound, "another user's recovery code")
		f.check(f.recoveryCount(uid) == 2, "CountRecoveryCodes = %d, want 2", f.recoveryCount(uid))
		f.check(f.recoveryCount(other) == 1, "other user's count changed")

		// Replacing drops the old codes.
		fresh := [][]byte{hash(), hash()}
		f.ok(f.s.SetRecoveryCodes(f.ctx, uid, fresh, f.at(3)), "SetRecoveryCodes replacing")
		f.check(f.recoveryCount(uid) == 2, "CountRecoveryCodes after replacing = %d, want 2", f.recoveryCount(uid))
		f.is(f.s.UseRecoveryCode(f.ctx, uid, codes[0], f.at(4)), storage.ErrNotFound, "replaced recovery code")
		f.ok(f.s.UseRecoveryCode(f.ctx, uid, fresh[0], f.at(4)), "new recovery code")
		f.check(f.recoveryCount(uid) == 1, "CountRecoveryCodes = %d, want 1", f.recoveryCount(uid))
	}},
	{"RecoveryCodesCopied", func(f *fixture) {
		uid := f.userID()
		codes := [][]byte{hash()}
		saved := bytes.Clone(codes[0])
		f.ok(f.s.SetRecoveryCodes(f.ctx, uid, codes, f.at(0)), "SetRecoveryCodes")
		codes[0][0] ^= 0xff
		f.ok(f.s.UseRecoveryCode(f.ctx, uid, saved, f.at(1)), "UseRecoveryCode with the hash as it was passed in")
	}},
	{"Delete", func(f *fixture) {
		e := f.newTOTP()
		f.ok(f.s.PutTOTP(f.ctx, e), "PutTOTP")
		f.ok(f.s.SetRecoveryCodes(f.ctx, e.UserID, [][]byte{hash(), hash()}, f.at(0)), "SetRecoveryCodes")
		keep := f.newTOTP()
		f.ok(f.s.PutTOTP(f.ctx, keep), "PutTOTP other")
		f.ok(f.s.DeleteTOTP(f.ctx, e.UserID), "DeleteTOTP")
		_, err := f.s.GetTOTP(f.ctx, e.UserID)
		f.is(err, storage.ErrNotFound, "GetTOTP after DeleteTOTP")
		f.check(f.recoveryCount(e.UserID) == 0, "recovery codes survived DeleteTOTP")
		f.equal(f.getTOTP(keep.UserID), keep, "another user's enrollment")
		// Enrolling again starts afresh.
		e.LastUsedStep = 0
		f.ok(f.s.PutTOTP(f.ctx, e), "PutTOTP again")
		f.ok(f.s.UseTOTPStep(f.ctx, e.UserID, 5), "UseTOTPStep after re-enrolling")
	}},
	{"DeepCopy", func(f *fixture) {
		e := f.newTOTP()
		f.ok(f.s.PutTOTP(f.ctx, e), "PutTOTP")
		want := *e
		want.Secret = e.Secret.Clone()
		e.Secret.Data[0] = 'X'
		e.Confirmed = true
		got := f.getTOTP(e.UserID)
		f.equal(got, &want, "after mutating the record passed in")
		got.Secret.Data[1] = 'X'
		f.equal(f.getTOTP(e.UserID), &want, "after mutating a returned record")
	}},
}
