package storagetest

import (
	"context"
	"errors"
	"fmt"

	"github.com/onboardkit/onboardkit/storage"
)

// deletable is a unit written outside any Tx, with a rotated refresh token,
// a second password and a decoy challenge to the user's phone, and the
// address index its portfolio's key had allocated.
type deletable struct {
	*unit
	rotated *storage.RefreshToken
	decoy   *storage.Challenge
	index   uint32
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
	return d
}

// gone checks that no record of d's user is left but its audit events and
// the decoy challenge, and that its phone, email and address index behave
// as the contract says.
func (f *fixture) gone(d *deletable) {
	f.Helper()
	f.invisibleRecords(d.unit)
	f.identifiersFree(d.user)
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

	f.equal(f.events(d.user.ID, 0), []*storage.Event{d.event}, "audit events of the deleted user stay")
	f.equal(f.getChallenge(d.decoy.ID), d.decoy, "a challenge of no user to the deleted user's phone stays")
	// Address indexes are per chain and key, not per user: never reset.
	next := f.alloc(d.portfolio.Chain, d.portfolio.KeyID)
	f.check(next == d.index+1, "AllocateAddressIndex after DeleteUser = %d, want %d", next, d.index+1)
	// The phone and email are free: a new user takes them verified.
	v := f.newUser()
	v.Phone, v.Email = d.user.Phone, d.user.Email
	f.ok(f.s.CreateUser(f.ctx, v), "CreateUser with the deleted user's phone and email, verified")
	got, err := f.s.GetUserByPhone(f.ctx, v.Phone)
	f.ok(err, "GetUserByPhone")
	f.equal(got, v, "the new holder of the phone")
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
		d := f.newDeletable()
		err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := s.DeleteUser(ctx, d.user.ID); err != nil {
				return err
			}
			if _, err := s.GetUser(ctx, d.user.ID); !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("GetUser inside the Tx after DeleteUser: %v", err)
			}
			return errRollback
		})
		f.is(err, errRollback, "Tx")
		f.visible(d.unit)
		f.equal(f.getToken(d.rotated.Hash), d.rotated, "current token after the rolled-back delete")
		f.equal(f.getChallenge(d.decoy.ID), d.decoy, "decoy challenge after the rolled-back delete")
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
