package storagetest

import (
	"context"
	"errors"
	"fmt"

	"github.com/onboardkit/onboardkit/storage"
)

// deletable is a unit written outside any Tx, with a rotated refresh token,
// a second password and a decoy challenge to the user's phone, the address
// index its portfolio's key had allocated and the user's data key.
type deletable struct {
	*unit
	rotated *storage.RefreshToken
	decoy   *storage.Challenge
	index   uint32
	key     *storage.DataKey
}

func (f *fixture) newDeletable() *deletable {
	f.Helper()
	d := &deletable{unit: f.newUnit()}
	d.index = f.alloc(d.portfolio.Chain, d.portfolio.KeyID)
	f.ok(d.write(f.ctx, f.s), "writing the user's records")
	d.rotated = f.nextToken(d.token, 10)
	f.ok(f.s.RotateRefreshToken(f.ctx, d.token.Hash, d.rotated, f.at(10)), "RotateRefreshToken")
	d.token.RotatedAt = f.at(10)
	f.ok(f.s.SetPassword(f.ctx, d.user.ID, "hash-0", f.at(11), 5), "SetPassword")
	f.ok(f.s.SetPassword(f.ctx, d.user.ID, "hash-1", f.at(12), 5), "SetPassword")
	d.decoy = f.newChallenge()
	d.decoy.UserID, d.decoy.Destination = "", d.user.Phone
	f.ok(f.s.CreateChallenge(f.ctx, d.decoy), "CreateChallenge (decoy)")
	d.key = f.getDataKey(d.user.ID)
	return d
}

// gone checks that no record of d's user is left but its audit events, its
// data key and the decoy challenge, and that its phone, email and address
// index behave as the contract says.
func (f *fixture) gone(d *deletable) {
	f.Helper()
	f.invisibleRecords(d.unit)
	f.identifiersFree(d.user)
	f.recordsGone(d)
	// The phone and email are free: a new user takes them verified.
	v := f.newUser()
	v.Phone, v.Email = d.user.Phone, d.user.Email
	f.ok(f.s.CreateUser(f.ctx, v), "CreateUser with the deleted user's phone and email, verified")
	got, err := f.s.GetUserByPhone(f.ctx, v.Phone)
	f.ok(err, "GetUserByPhone")
	f.equal(got, v, "the new holder of the phone")
}

// recordsGone checks what DeleteUser and DeleteUserRecords have in common:
// the user's challenges, tokens, password history and portfolios are gone,
// its audit events, its data key and the decoy challenge stay, and the
// address index is not reset.
func (f *fixture) recordsGone(d *deletable) {
	f.Helper()
	_, err := f.s.LatestChallenge(f.ctx, d.user.ID, d.chal.Purpose)
	f.is(err, storage.ErrNotFound, "LatestChallenge of the deleted user")
	_, err = f.s.GetRefreshToken(f.ctx, d.rotated.Hash)
	f.is(err, storage.ErrNotFound, "the rotated-to token of the deleted user")
	_, err = f.s.FamilyRevoked(f.ctx, d.token.FamilyID)
	f.is(err, storage.ErrNotFound, "FamilyRevoked of the deleted user's family")
	hist, err := f.s.PasswordHistory(f.ctx, d.user.ID, 10)
	if err != nil {
		f.is(err, storage.ErrNotFound, "PasswordHistory of the deleted user")
	}
	f.check(len(hist) == 0, "password history of the deleted user = %v", hist)
	ps, err := f.s.ListPortfolios(f.ctx, d.account.ID)
	f.ok(err, "ListPortfolios")
	f.check(len(ps) == 0, "portfolios of the deleted user's account are listed")

	f.equal(f.events(d.user.ID), []*storage.Event{d.event}, "audit events of the deleted user stay")
	f.equal(f.getChallenge(d.decoy.ID), d.decoy, "a challenge of no user to the deleted user's phone stays")
	f.equal(f.getDataKey(d.user.ID), d.key, "the deleted user's data key stays (the caller shreds it)")
	// Address indexes are per chain and key, not per user: never reset.
	next := f.alloc(d.portfolio.Chain, d.portfolio.KeyID)
	f.check(next == d.index+1, "AllocateAddressIndex after the deletion = %d, want %d", next, d.index+1)
	d.index = next
}

// recordsDeleted checks the outcome of DeleteUserRecords(d's user,
// keepKYC): the user record and its identifiers stay, and so do its KYC
// submission when keepKYC; every other record is gone but those
// recordsGone lists.
func (f *fixture) recordsDeleted(d *deletable, keepKYC bool) {
	f.Helper()
	f.equal(f.getUser(d.user.ID), d.user, "the user record stays")
	for what, lookup := range map[string]func() (*storage.User, error){
		"phone": func() (*storage.User, error) { return f.s.GetUserByPhone(f.ctx, d.user.Phone) },
		"email": func() (*storage.User, error) { return f.s.GetUserByEmail(f.ctx, d.user.Email) },
	} {
		got, err := lookup()
		f.ok(err, "the user by "+what)
		f.equal(got, d.user, "the user by "+what)
	}
	f.otherRecordsGone(d.unit, keepKYC)
	f.recordsGone(d)
	subs, err := f.s.ListKYCSubmissions(f.ctx, d.user.ID)
	f.ok(err, "ListKYCSubmissions")
	if keepKYC {
		f.equal(subs, []*storage.KYCSubmission{d.kyc}, "the kept KYC submission")
		f.kycOpens(subs[0])
	} else {
		f.check(len(subs) == 0, "%d KYC submissions are listed", len(subs))
	}
	// The user's sealed values still open: their key is not the store's to
	// delete.
	f.userOpens(f.getUser(d.user.ID), clearProfile)
}

// deletionRolledBack runs del on a deletable's user in a Tx that then
// fails, and checks that its records come back. del deletes, then reads
// what it deleted: the read must fail with storage.ErrNotFound.
func (f *fixture) deletionRolledBack(what string, del func(ctx context.Context, s storage.Store, id string) error) {
	f.Helper()
	d := f.newDeletable()
	err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
		if err := del(ctx, s, d.user.ID); !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%s, then a read of what it deleted inside the Tx: %v", what, err)
		}
		return errRollback
	})
	f.is(err, errRollback, what+" in a Tx")
	f.visible(d.unit)
	f.equal(f.getToken(d.rotated.Hash), d.rotated, "current token after the rolled-back "+what)
	f.equal(f.getChallenge(d.decoy.ID), d.decoy, "decoy challenge after the rolled-back "+what)
}

var deleteTests = []test{
	{"RemovesEveryRecord", func(f *fixture) {
		d, other := f.newDeletable(), f.newDeletable()
		f.ok(f.s.DeleteUser(f.ctx, d.user.ID), "DeleteUser")
		f.gone(d)
		// The other user keeps everything.
		f.equal(f.getToken(other.token.Hash), other.token, "another user's rotated token")
		f.equal(f.getToken(other.rotated.Hash), other.rotated, "another user's current token")
		f.visible(other.unit)
	}},
	{"NotFound", func(f *fixture) {
		f.is(f.s.DeleteUser(f.ctx, id("user")), storage.ErrNotFound, "DeleteUser of an unknown user")
		u := f.createUser()
		f.ok(f.s.DeleteUser(f.ctx, u.ID), "DeleteUser")
		f.is(f.s.DeleteUser(f.ctx, u.ID), storage.ErrNotFound, "DeleteUser of a deleted user")
		f.is(f.s.UpdateUser(f.ctx, u), storage.ErrNotFound, "UpdateUser of a deleted user")
	}},
	{"RolledBackWithTx", func(f *fixture) {
		f.deletionRolledBack("DeleteUser", func(ctx context.Context, s storage.Store, id string) error {
			if err := s.DeleteUser(ctx, id); err != nil {
				return err
			}
			_, err := s.GetUser(ctx, id)
			return err
		})
		f.deletionRolledBack("DeleteUserRecords", func(ctx context.Context, s storage.Store, id string) error {
			if err := s.DeleteUserRecords(ctx, id, false); err != nil {
				return err
			}
			_, err := s.GetTOTP(ctx, id)
			return err
		})
	}},
	{"RecordsKeepUser", func(f *fixture) {
		d, other := f.newDeletable(), f.newDeletable()
		f.ok(f.s.DeleteUserRecords(f.ctx, d.user.ID, false), "DeleteUserRecords")
		f.recordsDeleted(d, false)
		f.visible(other.unit)
		f.equal(f.getToken(other.rotated.Hash), other.rotated, "another user's current token")
		// Deleting again finds nothing more to delete.
		f.ok(f.s.DeleteUserRecords(f.ctx, d.user.ID, false), "DeleteUserRecords again")
		f.recordsDeleted(d, false)
	}},
	{"RecordsKeepUserAndKYC", func(f *fixture) {
		d, other := f.newDeletable(), f.newDeletable()
		f.ok(f.s.DeleteUserRecords(f.ctx, d.user.ID, true), "DeleteUserRecords keeping KYC")
		f.recordsDeleted(d, true)
		f.visible(other.unit)
		// A later call without keepKYC deletes the KYC records too.
		f.ok(f.s.DeleteUserRecords(f.ctx, d.user.ID, false), "DeleteUserRecords")
		f.recordsDeleted(d, false)
	}},
	{"RecordsNotFound", func(f *fixture) {
		for _, keepKYC := range []bool{false, true} {
			f.is(f.s.DeleteUserRecords(f.ctx, id("user"), keepKYC), storage.ErrNotFound, "DeleteUserRecords of an unknown user")
		}
		u := f.createUser()
		f.ok(f.s.DeleteUser(f.ctx, u.ID), "DeleteUser")
		f.is(f.s.DeleteUserRecords(f.ctx, u.ID, true), storage.ErrNotFound, "DeleteUserRecords of a deleted user")
	}},
	{"ReplacedInTx", func(f *fixture) {
		// The stale sign-up and its records go, and the new owner takes the
		// phone verified, in one unit of work.
		stale := f.newDeletable()
		owner := f.newUser()
		owner.Phone, owner.Email = stale.user.Phone, stale.user.Email
		f.ok(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if _, err := s.GetUser(ctx, stale.user.ID); err != nil {
				return err
			}
			if err := s.DeleteUser(ctx, stale.user.ID); err != nil {
				return err
			}
			if _, err := s.GetUserByPhone(ctx, owner.Phone); !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("GetUserByPhone inside the Tx after DeleteUser: %v", err)
			}
			return s.CreateUser(ctx, owner)
		}), "Tx replacing the user")
		got, err := f.s.GetUserByEmail(f.ctx, owner.Email)
		f.ok(err, "GetUserByEmail")
		f.equal(got, owner, "the new owner")
		f.invisibleRecords(stale.unit)
	}},
}
