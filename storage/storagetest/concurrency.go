package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// replica returns the store goroutine i uses: a for even i, b for odd i.
func (f *fixture) replica(i int) storage.Store {
	if i%2 == 0 {
		return f.s
	}
	return f.b
}

// race runs fn(i) for i in [0, n) in n goroutines released together and
// returns their errors by index.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// winners checks that exactly want calls succeeded and that every failure
// satisfies lost, and returns the indexes of the winners.
func (f *fixture) winners(errs []error, want int, lost func(error) bool, what string) []int {
	f.Helper()
	var won []int
	for i, err := range errs {
		switch {
		case err == nil:
			won = append(won, i)
		case !lost(err):
			f.Fatalf("%s: goroutine %d failed with an unexpected error: %v", what, i, err)
		}
	}
	if len(won) != want {
		f.Fatalf("%s: %d of %d goroutines succeeded, want exactly %d", what, len(won), len(errs), want)
	}
	return won
}

// errRefused stands for a reservation that was not allowed.
var errRefused = errors.New("storagetest: attempt refused")

func isErr(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// holding runs hold in a unit of work on replica a and keeps the unit open
// once hold has returned, until the returned end is called: end lets the
// unit finish (it commits unless hold failed) and returns the unit's
// error. A test that stops early still ends the unit (t.Cleanup).
func (f *fixture) holding(hold func(ctx context.Context, s storage.Store) error) (end func() error) {
	f.Helper()
	held, release := make(chan struct{}), make(chan struct{})
	free := sync.OnceFunc(func() { close(release) })
	f.Cleanup(free)
	unit := make(chan error, 1)
	go func() {
		unit <- f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			err := hold(ctx, s)
			close(held)
			<-release
			return err
		})
	}()
	select {
	case <-held:
	case err := <-unit:
		f.Fatalf("the holding unit ended before it held anything: %v", err)
	}
	return func() error {
		free()
		return <-unit
	}
}

// aside is a call running in a goroutine beside a holding unit.
type aside struct {
	done chan error
	err  error
	over bool
}

// beside runs fn in a goroutine.
func beside(fn func() error) *aside {
	a := &aside{done: make(chan error, 1)}
	go func() { a.done <- fn() }()
	return a
}

// within reports whether the call has returned within d (a store that
// makes it wait for the holding unit has not: the wait is how long the
// test gives a broken store to go ahead).
func (a *aside) within(d time.Duration) bool {
	if !a.over {
		select {
		case a.err = <-a.done:
			a.over = true
		case <-time.After(d):
		}
	}
	return a.over
}

// wait returns the call's error once it has returned.
func (a *aside) wait() error {
	if !a.over {
		a.err, a.over = <-a.done, true
	}
	return a.err
}

func isDup(field string) func(error) bool {
	return func(err error) bool {
		var d *storage.DuplicateError
		return errors.As(err, &d) && d.Field == field
	}
}

var concurrencyTests = []test{
	{"ConsumeChallengeOnce", func(f *fixture) {
		c := f.createChallenge()
		errs := race(100, func(i int) error {
			return f.replica(i).ConsumeChallenge(f.ctx, c.ID, c.CodeHash, f.at(10))
		})
		f.winners(errs, 1, isErr(storage.ErrConflict), "100 ConsumeChallenge with the right hash")
		f.check(f.getChallenge(c.ID).ConsumedAt.Equal(f.at(10)), "challenge not consumed")
	}},
	{"FailChallengeAttemptStopsAtMax", func(f *fixture) {
		c := f.createChallenge() // MaxAttempts 5
		counts := make([]int, 50)
		errs := race(50, func(i int) error {
			n, err := f.replica(i).FailChallengeAttempt(f.ctx, c.ID, f.at(10))
			counts[i] = n
			return err
		})
		won := f.winners(errs, 5, isErr(storage.ErrConflict), "50 FailChallengeAttempt with MaxAttempts 5")
		var got []int
		for _, i := range won {
			got = append(got, counts[i])
		}
		slices.Sort(got)
		f.equal(got, []int{1, 2, 3, 4, 5}, "attempt counts returned to the winners")
		f.check(f.getChallenge(c.ID).Attempts == 5, "Attempts = %d, want 5", f.getChallenge(c.ID).Attempts)
	}},
	{"ConsumeRacingFailAttempts", func(f *fixture) {
		// Wrong codes and the right one race: the right one either wins or
		// finds the challenge burned; never both consumed and over the max.
		c := f.createChallenge()
		errs := race(20, func(i int) error {
			if i == 7 {
				return f.replica(i).ConsumeChallenge(f.ctx, c.ID, c.CodeHash, f.at(10))
			}
			_, err := f.replica(i).FailChallengeAttempt(f.ctx, c.ID, f.at(10))
			return err
		})
		got := f.getChallenge(c.ID)
		f.check(got.Attempts <= got.MaxAttempts, "Attempts %d over MaxAttempts", got.Attempts)
		if errs[7] == nil {
			f.check(!got.ConsumedAt.IsZero(), "consume succeeded but ConsumedAt is zero")
		} else {
			f.is(errs[7], storage.ErrConflict, "losing consume")
			f.check(got.ConsumedAt.IsZero() && got.Attempts == got.MaxAttempts, "consume lost to a challenge neither burned nor consumed: %+v", got)
		}
	}},
	{"ResendChallengeOnce", func(f *fixture) {
		c := f.createChallenge()
		hashes := make([][]byte, 20)
		for i := range hashes {
			hashes[i] = hash()
		}
		errs := race(20, func(i int) error {
			return f.replica(i).ResendChallenge(f.ctx, c.ID, c.Sends, hashes[i], f.at(40), f.at(100), f.at(700))
		})
		won := f.winners(errs, 1, isErr(storage.ErrConflict), "20 ResendChallenge with the same prevSends")
		got := f.getChallenge(c.ID)
		f.check(got.Sends == c.Sends+1, "Sends = %d, want %d", got.Sends, c.Sends+1)
		f.equal(got.CodeHash, hashes[won[0]], "CodeHash is the winner's")
	}},
	{"CountSend", func(f *fixture) {
		key := id("dest")
		counts := make([]int, 50)
		errs := race(50, func(i int) error {
			n, err := f.replica(i).CountSend(f.ctx, key, f.at(0))
			counts[i] = n
			return err
		})
		f.winners(errs, 50, func(error) bool { return false }, "50 CountSend")
		slices.Sort(counts)
		for i, n := range counts {
			f.check(n == i+1, "CountSend results are not 1..50: %v", counts)
		}
	}},
	{"CapSend", func(f *fixture) {
		// 50 sends to one window of 20 on the replicas: exactly 20 count.
		if f.capper() == nil {
			return
		}
		key := id("dest")
		errs := race(50, func(i int) error {
			return f.replica(i).(storage.SendCapper).CapSend(f.ctx, key, f.at(0), 20)
		})
		f.winners(errs, 20, isErr(storage.ErrSendLimit), "50 CapSend with a limit of 20")
		n, err := f.s.CountSend(f.ctx, key, f.at(0))
		f.ok(err, "CountSend")
		f.check(n == 21, "CountSend after the race = %d, want 21", n)
	}},
	{"CreateUserSamePhone", func(f *fixture) {
		p := phone()
		users := make([]*storage.User, 100)
		for i := range users {
			users[i] = f.newUser()
			users[i].Phone = p
		}
		errs := race(100, func(i int) error { return f.replica(i).CreateUser(f.ctx, users[i]) })
		won := f.winners(errs, 1, isDup("phone"), "100 CreateUser with the same phone")
		got, err := f.s.GetUserByPhone(f.ctx, p)
		f.ok(err, "GetUserByPhone")
		f.check(got.ID == users[won[0]].ID, "the stored user is not the winner")
		for i, u := range users {
			if i == won[0] {
				continue
			}
			if _, err := f.s.GetUserByEmail(f.ctx, u.Email); !errors.Is(err, storage.ErrNotFound) {
				f.Fatalf("a losing user is stored (GetUserByEmail: %v)", err)
			}
		}
	}},
	{"CreateUserSameEmail", func(f *fixture) {
		e := email()
		users := make([]*storage.User, 50)
		for i := range users {
			users[i] = f.newUser()
			users[i].Email = e
			if i%3 == 1 {
				users[i].Email = strings.ToLower(e)
			} else if i%3 == 2 {
				users[i].Email = strings.ToUpper(e)
			}
		}
		errs := race(50, func(i int) error { return f.replica(i).CreateUser(f.ctx, users[i]) })
		f.winners(errs, 1, isDup("email"), "50 CreateUser with the same email in several cases")
	}},
	{"VerifyIdentifierOnce", func(f *fixture) {
		// Users holding one phone (email) unverified all verify it at once:
		// exactly one succeeds.
		for _, idf := range identifiers {
			users := make([]*storage.User, 20)
			for i := range users {
				users[i] = f.unverifiedUser()
				idf.take(users[i], users[0], false)
				f.ok(f.s.CreateUser(f.ctx, users[i]), "CreateUser of an unverified holder")
			}
			errs := race(len(users), func(i int) error {
				v := users[i].Clone()
				idf.take(v, v, true)
				return f.replica(i).UpdateUser(f.ctx, v)
			})
			won := f.winners(errs, 1, isDup(idf.field), fmt.Sprintf("%d UpdateUser verifying one %s", len(users), idf.field))
			got, err := idf.lookup(f.ctx, f.b, users[0])
			f.ok(err, "lookup")
			f.check(got.ID == users[won[0]].ID, "the %s's holder is not the winner", idf.field)
		}
	}},
	{"ReserveLoginAttemptAtMostFree", func(f *fixture) {
		// 60 attempts at once, twice, with 5 free failures and a clock that
		// stands still: 5 are allowed, each counted once, and none after.
		key := id("throttle")
		p := storage.ThrottlePolicy{FreeFailures: 5, BaseDelay: 30 * time.Second, MaxDelay: 15 * time.Minute}
		blocked := storage.Reservation{Failures: 5, BlockedUntil: f.at(30)}
		for round, want := range []int{5, 0} {
			res := make([]storage.Reservation, 60)
			errs := race(len(res), func(i int) (err error) {
				if res[i], err = f.replica(i).ReserveLoginAttempt(f.ctx, key, f.at(0), p); err == nil && !res[i].Allowed {
					return errRefused
				}
				return err
			})
			won := f.winners(errs, want, isErr(errRefused), fmt.Sprintf("round %d of 60 ReserveLoginAttempt with 5 free failures", round+1))
			var counts []int
			for i, r := range res {
				if !slices.Contains(won, i) {
					f.equal(r, blocked, "a refused reservation")
					continue
				}
				counts = append(counts, r.Failures)
				f.check(r.BlockedUntil.IsZero() == (r.Failures < 5), "allowed reservation %+v: wrong deadline", r)
				if r.Failures == 5 {
					f.equal(r, storage.Reservation{Allowed: true, Failures: 5, BlockedUntil: f.at(30)}, "the 5th reservation")
				}
			}
			slices.Sort(counts)
			f.equal(counts, []int{1, 2, 3, 4, 5}[:want], "counts of the allowed reservations")
		}
		r, err := f.b.ReserveLoginAttempt(f.ctx, key, f.at(0), p)
		f.ok(err, "ReserveLoginAttempt")
		f.equal(r, blocked, "the stored count and deadline")
	}},
	{"UpdateUserOnce", func(f *fixture) {
		u := f.createUser()
		errs := race(20, func(i int) error {
			v := u.Clone()
			v.Locale = fmt.Sprintf("l%d", i)
			return f.replica(i).UpdateUser(f.ctx, v)
		})
		won := f.winners(errs, 1, isErr(storage.ErrConflict), "20 UpdateUser of the same version")
		got := f.getUser(u.ID)
		f.check(got.Version == 2 && got.Locale == fmt.Sprintf("l%d", won[0]), "stored user is not the winner's: version %d locale %q", got.Version, got.Locale)
	}},
	{"RotateRefreshTokenOnce", func(f *fixture) {
		t := f.createToken(f.userID())
		next := make([]*storage.RefreshToken, 20)
		for i := range next {
			next[i] = f.nextToken(t, 10)
		}
		errs := race(20, func(i int) error {
			return f.replica(i).RotateRefreshToken(f.ctx, t.Hash, next[i], f.at(10))
		})
		won := f.winners(errs, 1, isErr(storage.ErrConflict), "20 RotateRefreshToken of the same token")
		for i, n := range next {
			_, err := f.s.GetRefreshToken(f.ctx, n.Hash)
			if i == won[0] {
				f.ok(err, "the winner's next token")
			} else {
				f.is(err, storage.ErrNotFound, "a loser's next token")
			}
		}
	}},
	{"RevocationCatchesConcurrentRotation", func(f *fixture) {
		// A unit on one replica rotates a token and stays open while the
		// other replica revokes the family (or the user's sessions): once
		// both have ended, the successor the rotation inserted is revoked
		// too, and cannot be rotated. A revocation leaves no live token.
		revokes := []struct {
			name   string
			revoke func(s storage.Store, t *storage.RefreshToken, keep string) error
		}{
			{"RevokeFamily", func(s storage.Store, t *storage.RefreshToken, _ string) error {
				return s.RevokeFamily(f.ctx, t.FamilyID, f.at(20))
			}},
			{"RevokeUserSessions", func(s storage.Store, t *storage.RefreshToken, _ string) error {
				return s.RevokeUserSessions(f.ctx, t.UserID, f.at(20))
			}},
			{"RevokeUserSessionsExcept", func(s storage.Store, t *storage.RefreshToken, keep string) error {
				return s.RevokeUserSessionsExcept(f.ctx, t.UserID, keep, f.at(20))
			}},
			{"RevokeUserSessions deferred in a unit", func(s storage.Store, t *storage.RefreshToken, _ string) error {
				return s.Tx(f.ctx, func(ctx context.Context, tx storage.Store) error {
					return storage.Behind(tx).RevokeUserSessions(ctx, t.UserID, f.at(20))
				})
			}},
		}
		for _, r := range revokes {
			uid := f.userID()
			first := f.createToken(uid)
			kept := f.createToken(uid)
			next := f.nextToken(first, 10)
			end := f.holding(func(ctx context.Context, s storage.Store) error {
				return s.RotateRefreshToken(ctx, first.Hash, next, f.at(10))
			})
			revoke := beside(func() error { return r.revoke(f.b, first, kept.FamilyID) })
			revoke.within(200 * time.Millisecond)
			f.ok(end(), "the rotating unit")
			f.ok(revoke.wait(), r.name+" beside the rotation")
			got, err := f.s.GetRefreshToken(f.ctx, next.Hash)
			f.ok(err, "GetRefreshToken of the successor")
			if err == nil {
				f.check(!got.RevokedAt.IsZero(), "%s beside a rotation left the successor live", r.name)
			}
			f.is(f.s.RotateRefreshToken(f.ctx, next.Hash, f.nextToken(next, 30), f.at(30)), storage.ErrConflict,
				"RotateRefreshToken of the successor after "+r.name)
			if r.name == "RevokeUserSessionsExcept" {
				got, err := f.s.GetRefreshToken(f.ctx, kept.Hash)
				f.ok(err, "GetRefreshToken of the kept family's token")
				f.check(err == nil && got.RevokedAt.IsZero(), "RevokeUserSessionsExcept revoked the kept family")
			}
		}
	}},
	{"UseRecoveryCodeOnce", func(f *fixture) {
		uid, code := f.userID(), hash()
		f.ok(f.s.SetRecoveryCodes(f.ctx, uid, [][]byte{code, hash()}, f.at(0)), "SetRecoveryCodes")
		errs := race(20, func(i int) error { return f.replica(i).UseRecoveryCode(f.ctx, uid, code, f.at(1)) })
		f.winners(errs, 1, isErr(storage.ErrNotFound), "20 UseRecoveryCode of the same code")
		f.check(f.recoveryCount(uid) == 1, "CountRecoveryCodes = %d, want 1", f.recoveryCount(uid))
	}},
	{"UseTOTPStepOnce", func(f *fixture) {
		e := f.newTOTP()
		f.ok(f.s.PutTOTP(f.ctx, e), "PutTOTP")
		errs := race(20, func(i int) error { return f.replica(i).UseTOTPStep(f.ctx, e.UserID, 1234) })
		f.winners(errs, 1, isErr(storage.ErrConflict), "20 UseTOTPStep of the same step")
	}},
	{"AllocateAddressIndexDistinct", func(f *fixture) {
		k := id("xpub")
		idx := make([]uint32, 100)
		errs := race(100, func(i int) error {
			n, err := f.replica(i).AllocateAddressIndex(f.ctx, "BTC", k)
			idx[i] = n
			return err
		})
		f.winners(errs, 100, func(error) bool { return false }, "100 AllocateAddressIndex")
		slices.Sort(idx)
		for i, n := range idx {
			f.check(n == uint32(i), "indexes are not 0..99 each once: %v", idx)
		}
	}},
	{"PortfolioCapUnderAccountLock", func(f *fixture) {
		// 50 units of work at once, each locking the account, counting its
		// portfolios and creating one (with an index allocated after the
		// lock) only below the cap of 20: exactly 20 exist afterwards, and
		// their indexes are 0..19.
		const limit = 20
		a, k := f.newAccount(f.userID(), 0), id("xpub")
		f.ok(f.s.CreateAccount(f.ctx, a), "CreateAccount")
		errs := race(50, func(i int) error {
			return f.replica(i).Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
				if _, err := s.LockAccount(ctx, a.ID); err != nil {
					return err
				}
				ps, err := s.ListPortfolios(ctx, a.ID)
				if err != nil {
					return err
				}
				if len(ps) >= limit {
					return errCapReached
				}
				return f.createIndexed(ctx, s, a, k, i)
			})
		})
		f.winners(errs, limit, isErr(errCapReached), "50 capped portfolio creations")
		f.indexesFromZero(a, k, limit)
	}},
	{"AddressIndexRollbackLeavesNoGap", func(f *fixture) {
		// 40 units of work at once allocate an index and create a portfolio
		// with it; half of them then roll back. The committed portfolios
		// hold the indexes 0..19 and the next allocation is 20.
		a, k := f.newAccount(f.userID(), 0), id("xpub")
		f.ok(f.s.CreateAccount(f.ctx, a), "CreateAccount")
		errs := race(40, func(i int) error {
			return f.replica(i).Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
				if err := f.createIndexed(ctx, s, a, k, i); err != nil {
					return err
				}
				if (i/2)%2 == 1 { // both replicas commit and roll back
					return errRollback
				}
				return nil
			})
		})
		f.winners(errs, 20, isErr(errRollback), "40 units allocating an index, half rolled back")
		f.indexesFromZero(a, k, 20)
	}},
	{"TxOneWins", func(f *fixture) {
		// Units of work racing for one phone: exactly one commits, and none
		// of the losers' other writes is visible.
		p := phone()
		units := make([]*unit, 20)
		for i := range units {
			units[i] = f.newUnit()
			units[i].user.Phone = p
			units[i].chal.UserID = "" // a challenge of no user, stored before the user
		}
		errs := race(20, func(i int) error {
			return f.replica(i).Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
				// The challenge first, so a loser has a write to roll back.
				if err := s.CreateChallenge(ctx, units[i].chal); err != nil {
					return err
				}
				return s.CreateUser(ctx, units[i].user)
			})
		})
		won := f.winners(errs, 1, isDup("phone"), "20 Tx creating a user with the same phone")
		for i, u := range units {
			_, err := f.s.GetChallenge(f.ctx, u.chal.ID)
			if i == won[0] {
				f.ok(err, "the winner's challenge")
			} else {
				f.is(err, storage.ErrNotFound, "a loser's challenge")
			}
		}
	}},
	{"SearchUsersPagingUnderCreates", func(f *fixture) {
		// One replica pages through the users of a window while the other
		// creates users in it: a goroutine racing the pages, and two users
		// between each page, one sorting before every cursor and one after
		// every user that existed. The pages read every user that existed
		// before the first exactly once and in order, the late users sorting
		// after the cursor too, the early ones never, and nothing else.
		w := window()
		var secs []int
		for i := range 24 {
			secs = append(secs, 10+10*(i%6)) // ties of 4 users at 10..60 s
		}
		existing := f.mixedUsers(w, secs...)
		f.createUsers(existing...)
		racing := make([]*storage.User, 40)
		for i := range racing {
			racing[i] = f.uuidUserAt(w, 10+(i*7)%55) // among and between the existing
		}
		var early, late []*storage.User
		for i := range 30 { // more than the pages; each late one after the one before
			early, late = append(early, f.userAt(w, 5)), append(late, f.uuidUserAt(w, 100+i))
		}

		done := make(chan struct{})
		racingErrs := make([]error, len(racing))
		var wg sync.WaitGroup
		wg.Go(func() {
			for i, u := range racing {
				select {
				case <-done:
					return
				default:
				}
				racingErrs[i] = f.b.CreateUser(f.ctx, u)
			}
		})
		var betweenErrs []error
		pages := 0
		seen := f.pageAll(f.s, within(w), 5, func() {
			if pages < len(late) {
				betweenErrs = append(betweenErrs, f.b.CreateUser(f.ctx, early[pages]), f.b.CreateUser(f.ctx, late[pages]))
			}
			pages++
		})
		close(done)
		wg.Wait()
		for _, err := range append(racingErrs, betweenErrs...) {
			f.ok(err, "CreateUser through the other replica")
		}

		f.check(slices.IsSortedFunc(seen, compareSearch), "the pages are out of order")
		count := map[string]int{}
		for _, u := range seen {
			count[u.ID]++
			f.check(count[u.ID] == 1, "user %s read twice", u.ID)
		}
		for _, u := range existing {
			f.check(count[u.ID] == 1, "existing user %s read %d times, want once", u.ID, count[u.ID])
		}
		for _, u := range early {
			f.check(count[u.ID] == 0, "user %s, created between pages before the cursor, was read", u.ID)
		}
		created := min(pages, len(late))
		for _, u := range late[:created] {
			f.check(count[u.ID] == 1, "user %s, created between pages after the cursor, read %d times", u.ID, count[u.ID])
		}
		known := map[string]bool{}
		for _, u := range slices.Concat(existing, racing, late[:created]) {
			known[u.ID] = true
		}
		for _, u := range seen {
			f.check(known[u.ID], "user %s read, created by no one in the window", u.ID)
		}
	}},
	{"TxRollbackInvisibleToReplica", func(f *fixture) {
		u := f.newUnit()
		seen := make(chan error, 1)
		var once sync.Once // fn may run more than once
		err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := s.CreateUser(ctx, u.user); err != nil {
				return err
			}
			// The other replica reads while the unit of work runs; it may
			// wait for it (a lock) but must never see the user.
			once.Do(func() {
				go func() {
					_, err := f.b.GetUserByPhone(f.ctx, u.user.Phone)
					seen <- err
				}()
			})
			return errRollback
		})
		f.is(err, errRollback, "Tx")
		f.is(<-seen, storage.ErrNotFound, "the other replica's read of a rolled-back write")
	}},
}

// errCapReached stands for a creation refused by the portfolio cap.
var errCapReached = errors.New("storagetest: portfolio cap reached")

// createIndexed creates portfolio number i of the account through s, with
// an address index of key k allocated through s.
func (f *fixture) createIndexed(ctx context.Context, s storage.Store, a *storage.Account, k string, i int) error {
	idx, err := s.AllocateAddressIndex(ctx, "BTC", k)
	if err != nil {
		return err
	}
	p := f.newPortfolio(a, fmt.Sprintf("P%d", i), i)
	p.KeyID, p.AddressIndex = k, idx
	return s.CreatePortfolio(ctx, p)
}

// indexesFromZero checks that the account's portfolios hold the indexes
// 0..n-1 of key k, each once, and that the next allocation is n.
func (f *fixture) indexesFromZero(a *storage.Account, k string, n int) {
	f.Helper()
	ps, err := f.b.ListPortfolios(f.ctx, a.ID)
	f.ok(err, "ListPortfolios")
	var got []uint32
	for _, p := range ps {
		got = append(got, p.AddressIndex)
	}
	slices.Sort(got)
	f.check(len(got) == n, "%d portfolios, want %d", len(got), n)
	for i, x := range got {
		f.check(x == uint32(i), "the indexes of the committed portfolios are not 0..%d: %v", n-1, got)
	}
	next, err := f.s.AllocateAddressIndex(f.ctx, "BTC", k)
	f.ok(err, "AllocateAddressIndex")
	f.check(next == uint32(n), "next index = %d, want %d", next, n)
}

func runConcurrency(t *testing.T, newPair func(t *testing.T) (a, b storage.Store)) {
	for _, tc := range slices.Concat(concurrencyTests, outboxConcurrencyTests, janitorConcurrencyTests, passkeyConcurrencyTests) {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newPair(t)
			tc.fn(newFixture(t, a, b))
		})
	}
}
