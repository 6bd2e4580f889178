package storagetest

import (
	"context"
	"errors"
	"fmt"

	"github.com/onboardkit/onboardkit/storage"
)

var errRollback = errors.New("storagetest: roll back")

// unit is the set of records one Tx test writes: one of each kind.
type unit struct {
	user      *storage.User
	chal      *storage.Challenge
	token     *storage.RefreshToken
	account   *storage.Account
	portfolio *storage.Portfolio
	totp      *storage.TOTPEnrollment
	codes     [][]byte
	kyc       *storage.KYCSubmission
	event     *storage.Event
}

func (f *fixture) newUnit() *unit {
	u := &unit{user: f.newUser(), chal: f.newChallenge()}
	uid := u.user.ID
	u.chal.UserID = uid
	u.token = f.newToken(uid)
	u.account = f.newAccount(uid, 0)
	u.portfolio = f.newPortfolio(u.account, "Main", 0)
	u.totp = f.newTOTPFor(uid)
	u.codes = [][]byte{hash(), hash()}
	u.kyc = f.newSubmission(uid, 1)
	u.event = f.newEvent(uid, 0)
	return u
}

// write makes every write of u through s, checking that s reads its own
// writes.
func (u *unit) write(ctx context.Context, s storage.Store) error {
	steps := []func() error{
		func() error { return s.CreateUser(ctx, u.user) },
		func() error {
			got, err := s.GetUser(ctx, u.user.ID)
			if err != nil {
				return fmt.Errorf("reading own write: %w", err)
			}
			got.Status = "contact_verified"
			if err := s.UpdateUser(ctx, got); err != nil {
				return err
			}
			u.user = got
			return nil
		},
		func() error { return s.SetPassword(ctx, u.user.ID, "hash-1", u.user.CreatedAt, 5) },
		func() error { return s.CreateChallenge(ctx, u.chal) },
		func() error { return s.CreateRefreshToken(ctx, u.token) },
		func() error { return s.CreateAccount(ctx, u.account) },
		func() error { return s.CreatePortfolio(ctx, u.portfolio) },
		func() error { return s.PutTOTP(ctx, u.totp) },
		func() error { return s.SetRecoveryCodes(ctx, u.user.ID, u.codes, u.user.CreatedAt) },
		func() error { return s.CreateKYCSubmission(ctx, u.kyc) },
		func() error { return s.AppendEvent(ctx, u.event) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
	}
	return nil
}

// visible checks that every record of u is stored.
func (f *fixture) visible(u *unit) {
	f.Helper()
	f.equal(f.getUser(u.user.ID), u.user, "user of the committed Tx")
	got, err := f.s.GetUserByPhone(f.ctx, u.user.Phone)
	f.ok(err, "GetUserByPhone")
	f.equal(got, u.user, "user by phone")
	pw, err := f.s.GetPassword(f.ctx, u.user.ID)
	f.ok(err, "GetPassword")
	f.check(pw == "hash-1", "password = %q", pw)
	f.equal(f.getChallenge(u.chal.ID), u.chal, "challenge of the committed Tx")
	f.equal(f.getToken(u.token.Hash), u.token, "refresh token of the committed Tx")
	f.equal(f.getAccount(u.account.ID), u.account, "account of the committed Tx")
	f.equal(f.getPortfolio(u.portfolio.ID), u.portfolio, "portfolio of the committed Tx")
	f.equal(f.getTOTP(u.user.ID), u.totp, "TOTP of the committed Tx")
	f.check(f.recoveryCount(u.user.ID) == 2, "recovery codes of the committed Tx")
	f.equal(f.latestKYC(u.user.ID), u.kyc, "KYC submission of the committed Tx")
	f.equal(f.events(u.user.ID), []*storage.Event{u.event}, "events of the committed Tx")
	f.unitOpens(u)
}

// invisible checks that no record of u is stored, and that its unique
// values are free again.
func (f *fixture) invisible(u *unit) {
	f.Helper()
	f.invisibleRecords(u)
	f.identifiersFree(u.user)
	f.check(len(f.events(u.user.ID)) == 0, "events of the rolled-back Tx are visible")

	// The unique values are free: the same unit commits now.
	u.user.Version = 0
	f.ok(f.s.Tx(f.ctx, u.write), "the same writes after the rollback")
	f.visible(u)
}

// identifiersFree checks that no user holds u's phone or email.
func (f *fixture) identifiersFree(u *storage.User) {
	f.Helper()
	_, err := f.s.GetUserByPhone(f.ctx, u.Phone)
	f.is(err, storage.ErrNotFound, "user by phone")
	_, err = f.s.GetUserByEmail(f.ctx, u.Email)
	f.is(err, storage.ErrNotFound, "user by email")
}

// invisibleRecords checks that no record of u but its audit events is
// stored (looked up by id).
func (f *fixture) invisibleRecords(u *unit) {
	f.Helper()
	_, err := f.s.GetUser(f.ctx, u.user.ID)
	f.is(err, storage.ErrNotFound, "user")
	f.otherRecordsGone(u, false)
}

// otherRecordsGone checks that no record of u but its user, its audit
// events and, when keepKYC, its KYC submission is stored (looked up by
// id).
func (f *fixture) otherRecordsGone(u *unit, keepKYC bool) {
	f.Helper()
	_, err := f.s.GetPassword(f.ctx, u.user.ID)
	f.is(err, storage.ErrNotFound, "password")
	_, err = f.s.GetChallenge(f.ctx, u.chal.ID)
	f.is(err, storage.ErrNotFound, "challenge")
	_, err = f.s.GetRefreshToken(f.ctx, u.token.Hash)
	f.is(err, storage.ErrNotFound, "refresh token")
	_, err = f.s.GetAccount(f.ctx, u.account.ID)
	f.is(err, storage.ErrNotFound, "account")
	_, err = f.s.GetPortfolio(f.ctx, u.portfolio.ID)
	f.is(err, storage.ErrNotFound, "portfolio")
	_, err = f.s.GetTOTP(f.ctx, u.user.ID)
	f.is(err, storage.ErrNotFound, "TOTP enrollment")
	f.check(f.recoveryCount(u.user.ID) == 0, "recovery codes are visible")
	if !keepKYC {
		_, err = f.s.LatestKYCSubmission(f.ctx, u.user.ID)
		f.is(err, storage.ErrNotFound, "KYC submission")
	}
	accts, err := f.s.ListAccounts(f.ctx, u.user.ID)
	f.ok(err, "ListAccounts")
	f.check(len(accts) == 0, "accounts are listed")
}

var txTests = []test{
	{"Commit", func(f *fixture) {
		u := f.newUnit()
		f.ok(f.s.Tx(f.ctx, u.write), "Tx")
		f.visible(u)
	}},
	{"Rollback", func(f *fixture) {
		u := f.newUnit()
		err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := u.write(ctx, s); err != nil {
				return err
			}
			return errRollback
		})
		f.is(err, errRollback, "Tx returns fn's error")
		f.invisible(u)
	}},
	{"RollbackOfUpdates", func(f *fixture) {
		u := f.newUnit()
		f.ok(f.s.Tx(f.ctx, u.write), "Tx")
		other := f.createChallenge()
		key := id("dest")
		n, err := f.s.CountSend(f.ctx, key, f.at(0))
		f.ok(err, "CountSend")
		f.check(n == 1, "CountSend = %d", n)

		err = f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			uu := u.user.Clone()
			uu.Phone, uu.Email, uu.Status = phone(), email(), "locked"
			steps := []func() error{
				func() error { return s.UpdateUser(ctx, uu) },
				func() error { return s.SetPassword(ctx, u.user.ID, "hash-2", f.at(1), 5) },
				func() error { _, err := s.FailChallengeAttempt(ctx, u.chal.ID, f.at(1)); return err },
				func() error {
					return s.ResendChallenge(ctx, u.chal.ID, u.chal.Sends, hash(), f.at(2), f.at(3), f.at(900))
				},
				func() error { return s.SetChallengeResendAt(ctx, u.chal.ID, f.at(4)) },
				func() error { return s.ConsumeChallenge(ctx, other.ID, other.CodeHash, f.at(5)) },
				func() error { _, err := s.CountSend(ctx, key, f.at(0)); return err },
				func() error { return s.RotateRefreshToken(ctx, u.token.Hash, f.nextToken(u.token, 6), f.at(6)) },
				func() error { return s.RevokeUserSessions(ctx, u.user.ID, f.at(7)) },
				func() error { return s.UseTOTPStep(ctx, u.user.ID, 77) },
				func() error { return s.UseRecoveryCode(ctx, u.user.ID, u.codes[0], f.at(8)) },
				func() error { _, err := s.SetAccountsActive(ctx, u.user.ID, true, f.at(9)); return err },
				func() error { return s.SetTradingPortfolio(ctx, u.account.ID, u.portfolio.ID, f.at(10)) },
				func() error {
					return s.UpdateKYCSubmissionStatus(ctx, u.kyc.ID, "active", "ok", nil, f.at(11))
				},
				func() error { return s.DeleteTOTP(ctx, u.user.ID) },
				func() error { return s.AppendEvent(ctx, f.newEvent(u.user.ID, 12)) },
			}
			for i, step := range steps {
				if err := step(); err != nil {
					return fmt.Errorf("step %d: %w", i, err)
				}
			}
			return errRollback
		})
		f.is(err, errRollback, "Tx")
		f.visible(u) // everything as committed before
		hist, err := f.s.PasswordHistory(f.ctx, u.user.ID, 10)
		f.ok(err, "PasswordHistory")
		f.equal(hist, []string{"hash-1"}, "password history after the rollback")
		f.equal(f.getChallenge(other.ID), other, "challenge consumed in the rolled-back Tx")
		n, err = f.s.CountSend(f.ctx, key, f.at(0))
		f.ok(err, "CountSend")
		f.check(n == 2, "CountSend after a rolled-back count = %d, want 2", n)
	}},
	{"NestedJoins", func(f *fixture) {
		// Inner commits, outer fails: nothing is visible.
		u := f.newUnit()
		err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := s.Tx(ctx, u.write); err != nil {
				return err
			}
			if _, err := s.GetChallenge(ctx, u.chal.ID); err != nil {
				return fmt.Errorf("outer Tx cannot read the nested Tx's write: %w", err)
			}
			return errRollback
		})
		f.is(err, errRollback, "outer Tx")
		f.invisible(u)

		// Both succeed: everything is visible.
		v := f.newUnit()
		f.ok(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			return s.Tx(ctx, v.write)
		}), "nested Tx")
		f.visible(v)

		// The inner fails and the outer passes the error on.
		w := f.newUnit()
		err = f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := s.CreateUser(ctx, w.user); err != nil {
				return err
			}
			return s.Tx(ctx, func(ctx context.Context, s storage.Store) error {
				if err := s.CreateChallenge(ctx, w.chal); err != nil {
					return err
				}
				return errRollback
			})
		})
		f.is(err, errRollback, "outer Tx")
		_, err = f.s.GetChallenge(f.ctx, w.chal.ID)
		f.is(err, storage.ErrNotFound, "outer write of a failed nested Tx")
		_, err = f.s.GetUser(f.ctx, w.user.ID)
		f.is(err, storage.ErrNotFound, "inner write of a failed nested Tx")
	}},
	{"ContinueAfterHandledError", func(f *fixture) {
		// Pinned: an error a write returns inside a Tx does not doom the
		// Tx; when fn handles it and returns nil, its other writes commit.
		taken := f.createUser()
		c := f.createChallenge()
		u := f.newUnit()
		dupTok := f.newToken(u.user.ID)
		dupTok.Hash = u.token.Hash
		dup := f.newUser() // outside: sealing its profile writes a data key
		dup.Phone = taken.Phone
		f.ok(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := s.CreateUser(ctx, dup); !errors.Is(err, storage.ErrDuplicate) {
				return fmt.Errorf("CreateUser with a taken phone: %v", err)
			}
			if err := s.ConsumeChallenge(ctx, c.ID, hash(), f.at(1)); !errors.Is(err, storage.ErrConflict) {
				return fmt.Errorf("ConsumeChallenge with a wrong hash: %v", err)
			}
			if _, err := s.GetUser(ctx, id("missing")); !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("GetUser of a missing user: %v", err)
			}
			if err := u.write(ctx, s); err != nil {
				return err
			}
			if err := s.CreateRefreshToken(ctx, dupTok); !errors.Is(err, storage.ErrDuplicate) {
				return fmt.Errorf("CreateRefreshToken with a taken hash: %v", err)
			}
			return nil
		}), "Tx with handled errors")
		f.visible(u)
	}},
	{"WriteBehindCommit", func(f *fixture) {
		// Every write through the write-behind view commits with the unit,
		// and the unit reads them back through the view.
		u := f.newUnit()
		f.ok(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			return u.write(ctx, storage.Behind(s))
		}), "Tx through the write-behind view")
		f.visible(u)
	}},
	{"WriteBehindRollback", func(f *fixture) {
		u := f.newUnit()
		err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := u.write(ctx, storage.Behind(s)); err != nil {
				return err
			}
			return errRollback
		})
		f.is(err, errRollback, "Tx")
		f.invisible(u)
	}},
	{"WriteBehindKeepsOrder", func(f *fixture) {
		// A write through the Store after a deferred one sees it: the
		// challenge's user exists when the challenge is stored.
		u := f.newUnit()
		f.ok(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			b := storage.Behind(s)
			if err := b.CreateUser(ctx, u.user); err != nil {
				return err
			}
			if err := s.CreateChallenge(ctx, u.chal); err != nil {
				return fmt.Errorf("a write after a deferred one: %w", err)
			}
			return b.AppendEvent(ctx, u.event)
		}), "Tx")
		f.equal(f.getChallenge(u.chal.ID), u.chal, "challenge")
		f.equal(f.events(u.user.ID), []*storage.Event{u.event}, "events, with the seq the store gave")
	}},
	{"WriteBehindFailureDoomsUnit", func(f *fixture) {
		// A deferred write that fails fails the unit, even when fn goes on
		// and returns nil: nothing of it commits. A store that runs the
		// write at once returns its error at the call, which fn may handle
		// as with the Store itself.
		taken := f.createUser()
		dup := f.newUser()
		dup.Phone = taken.Phone
		u := f.newUnit()
		deferred := false
		err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			b := storage.Behind(s)
			switch err := b.CreateUser(ctx, dup); {
			case err == nil:
				deferred = true
			case !errors.Is(err, storage.ErrDuplicate):
				return fmt.Errorf("CreateUser with a taken phone: %v", err)
			}
			_ = u.write(ctx, b) // one of its calls carries the failed write
			return nil
		})
		if deferred {
			f.is(err, storage.ErrDuplicate, "Tx of a unit whose deferred write failed")
			f.invisible(u)
		} else {
			f.ok(err, "Tx with a handled error")
			f.visible(u)
		}
		_, err = f.s.GetUser(f.ctx, dup.ID)
		f.is(err, storage.ErrNotFound, "the duplicate user")
	}},
	{"WriteBehindConditionalWrites", func(f *fixture) {
		// A deferred UpdateUser with a stale version, and a deferred
		// ConsumeChallenge with nothing to consume, fail the unit with
		// ErrConflict, a deferred write of a missing record with
		// ErrNotFound, whenever they run: nothing of it commits. (A store
		// may run fn again first; each run makes the same stale write.)
		u := f.createUser()
		stale := u.Clone()
		f.ok(f.s.UpdateUser(f.ctx, u), "UpdateUser") // moves the version on
		consumed := f.createChallenge()
		f.ok(f.s.ConsumeChallenge(f.ctx, consumed.ID, consumed.CodeHash, f.at(1)), "ConsumeChallenge")
		open := f.createChallenge()
		for _, tc := range []struct {
			name  string
			want  error
			write func(ctx context.Context, b storage.Store) error
		}{
			{"stale UpdateUser", storage.ErrConflict, func(ctx context.Context, b storage.Store) error {
				return b.UpdateUser(ctx, stale.Clone())
			}},
			{"ConsumeChallenge of a consumed challenge", storage.ErrConflict, func(ctx context.Context, b storage.Store) error {
				return b.ConsumeChallenge(ctx, consumed.ID, consumed.CodeHash, f.at(2))
			}},
			{"ConsumeChallenge with another hash", storage.ErrConflict, func(ctx context.Context, b storage.Store) error {
				return b.ConsumeChallenge(ctx, open.ID, hash(), f.at(1))
			}},
			{"SetTradingPortfolio of an unknown account", storage.ErrNotFound, func(ctx context.Context, b storage.Store) error {
				return b.SetTradingPortfolio(ctx, id("acct"), id("pf"), f.at(1))
			}},
			{"UpdateKYCSubmissionStatus of an unknown submission", storage.ErrNotFound, func(ctx context.Context, b storage.Store) error {
				return b.UpdateKYCSubmissionStatus(ctx, id("sub"), "ACTIVE", "", nil, f.at(1))
			}},
		} {
			un := f.newUnit()
			err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
				b := storage.Behind(s)
				if err := tc.write(ctx, b); err != nil {
					return err
				}
				return un.write(ctx, b)
			})
			f.is(err, tc.want, tc.name)
			f.invisible(un)
		}
		f.check(f.getChallenge(open.ID).ConsumedAt.IsZero(), "the open challenge was consumed")
		f.equal(f.getUser(u.ID), u, "the user after the stale update")
	}},
	{"CapSendInTx", func(f *fixture) {
		// A refused CapSend through the Store of a Tx leaves the unit
		// usable; through its write-behind view it fails the unit, with
		// ErrSendLimit, whenever it runs: nothing of the unit commits.
		capper := f.capper()
		if capper == nil {
			return
		}
		key := id("dest")
		f.ok(capper.CapSend(f.ctx, key, f.at(0), 1), "CapSend")
		un := f.newUnit()
		err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			err := s.(storage.SendCapper).CapSend(ctx, key, f.at(0), 1)
			if !errors.Is(err, storage.ErrSendLimit) {
				return fmt.Errorf("CapSend of a full window in a Tx: %w, want ErrSendLimit", err)
			}
			return un.write(ctx, s)
		})
		f.ok(err, "Tx with a refused CapSend")
		f.visible(un)
		un = f.newUnit()
		err = f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			b := storage.Behind(s)
			if err := b.(storage.SendCapper).CapSend(ctx, key, f.at(0), 1); err != nil {
				return err
			}
			return un.write(ctx, b)
		})
		f.is(err, storage.ErrSendLimit, "Tx with a refused deferred CapSend")
		f.invisible(un)
		n, err := f.s.CountSend(f.ctx, key, f.at(0))
		f.ok(err, "CountSend")
		f.check(n == 2, "CountSend after one send and two refusals = %d, want 2", n)
	}},
	{"WriteBehindOutsideTx", func(f *fixture) {
		// Outside a Tx the view is the Store: the write runs at once.
		taken := f.createUser()
		dup := f.newUser()
		dup.Phone = taken.Phone
		f.is(storage.Behind(f.s).CreateUser(f.ctx, dup), storage.ErrDuplicate, "CreateUser outside a Tx")
		u := f.newUser()
		f.ok(storage.Behind(f.s).CreateUser(f.ctx, u), "CreateUser outside a Tx")
		f.equal(f.getUser(u.ID), u, "user written outside a Tx")
	}},
	{"PanicRollsBack", func(f *fixture) {
		u := f.newUnit()
		func() {
			defer func() {
				if r := recover(); r == nil {
					f.Fatalf("the panic in fn did not propagate")
				}
			}()
			_ = f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
				if err := u.write(ctx, s); err != nil {
					return err
				}
				panic("storagetest: panic inside Tx")
			})
		}()
		f.invisible(u) // also proves the store is usable after the panic
	}},
}

var storeTests = []test{
	{"Ping", func(f *fixture) {
		f.ok(f.s.Ping(f.ctx), "Ping")
		f.ok(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			return s.Ping(ctx)
		}), "Ping inside a Tx")
	}},
}
