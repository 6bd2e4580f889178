package storagetest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// identifier is a unique-when-verified field of a user: the phone or the
// email.
type identifier struct {
	field string
	// take makes u hold the identifier of from (the email in another case),
	// verified or not.
	take func(u, from *storage.User, verified bool)
	// release gives u a fresh value of the identifier, unverified.
	release func(u *storage.User)
	// lookup finds the user holding u's identifier (the email in another
	// case).
	lookup func(ctx context.Context, s storage.Store, u *storage.User) (*storage.User, error)
}

var identifiers = []identifier{
	{
		field:   "phone",
		take:    func(u, from *storage.User, verified bool) { u.Phone, u.PhoneVerified = from.Phone, verified },
		release: func(u *storage.User) { u.Phone, u.PhoneVerified = phone(), false },
		lookup: func(ctx context.Context, s storage.Store, u *storage.User) (*storage.User, error) {
			return s.GetUserByPhone(ctx, u.Phone)
		},
	},
	{
		field: "email",
		take: func(u, from *storage.User, verified bool) {
			u.Email, u.EmailVerified = strings.ToUpper(from.Email), verified
		},
		release: func(u *storage.User) { u.Email, u.EmailVerified = email(), false },
		lookup: func(ctx context.Context, s storage.Store, u *storage.User) (*storage.User, error) {
			return s.GetUserByEmail(ctx, strings.ToLower(u.Email))
		},
	},
}

// unverifiedUser returns a new user whose phone and email are unverified.
func (f *fixture) unverifiedUser() *storage.User {
	u := f.newUser()
	u.PhoneVerified, u.EmailVerified = false, false
	return u
}

// lookupIs checks that looking up u's identifier finds want.
func (f *fixture) lookupIs(idf identifier, u *storage.User, want *storage.User, what string) {
	f.Helper()
	got, err := idf.lookup(f.ctx, f.s, u)
	f.ok(err, what)
	f.equal(got, want, what)
}

// storeHolding stores a holder of a fresh identifier (verified when held),
// then a newer user taking it (verified when stored) by CreateUser, or by
// UpdateUser when update, and checks the outcome: a duplicate that writes
// nothing when dup, else success; the lookup then finds the verified holder,
// else the newer user.
func (f *fixture) storeHolding(idf identifier, update, held, stored, dup bool, what string) {
	f.Helper()
	holder := f.unverifiedUser()
	idf.take(holder, holder, held)
	f.ok(f.s.CreateUser(f.ctx, holder), "CreateUser of the holder: "+what)
	u := f.unverifiedUser()
	u.CreatedAt = f.at(10)
	var err error
	if update {
		f.ok(f.s.CreateUser(f.ctx, u), "CreateUser: "+what)
		before := u.Clone()
		idf.take(u, holder, stored)
		if err = f.s.UpdateUser(f.ctx, u); dup {
			f.equal(f.getUser(u.ID), before, "user after a refused update: "+what)
		}
	} else {
		idf.take(u, holder, stored)
		if err = f.s.CreateUser(f.ctx, u); dup {
			_, gerr := f.s.GetUser(f.ctx, u.ID)
			f.is(gerr, storage.ErrNotFound, "the refused user: "+what)
		}
	}
	if dup {
		f.dup(err, idf.field, what)
	} else {
		f.ok(err, what)
	}
	want := u
	if held {
		want = holder
	}
	f.lookupIs(idf, holder, want, "lookup: "+what)
}

var identifierTests = []test{
	{"UniqueAmongVerifiedOnly", func(f *fixture) {
		// Storing a user holding another's identifier, by CreateUser and by
		// UpdateUser: a duplicate only when both hold it verified.
		for _, idf := range identifiers {
			for _, update := range []bool{false, true} {
				for _, tc := range []struct{ held, stored, dup bool }{
					{false, false, false},
					{false, true, false},
					{true, false, false},
					{true, true, true},
				} {
					what := fmt.Sprintf("%s held verified=%v, stored verified=%v (update %v)", idf.field, tc.held, tc.stored, update)
					f.storeHolding(idf, update, tc.held, tc.stored, tc.dup, what)
				}
			}
		}
	}},
	{"ManyUnverifiedHolders", func(f *fixture) {
		for _, idf := range identifiers {
			first := f.unverifiedUser()
			f.ok(f.s.CreateUser(f.ctx, first), "CreateUser")
			for i := range 3 {
				u := f.unverifiedUser()
				idf.take(u, first, false)
				f.ok(f.s.CreateUser(f.ctx, u), fmt.Sprintf("CreateUser of unverified %s holder %d", idf.field, i+2))
			}
		}
	}},
	{"VerifyHeldIdentifier", func(f *fixture) {
		// Two users hold an identifier unverified; the first to verify it
		// wins, the other gets a duplicate until the winner lets it go.
		for _, idf := range identifiers {
			a, b := f.unverifiedUser(), f.unverifiedUser()
			f.ok(f.s.CreateUser(f.ctx, a), "CreateUser a")
			idf.take(b, a, false)
			f.ok(f.s.CreateUser(f.ctx, b), "CreateUser b")
			idf.take(a, a, true)
			f.ok(f.s.UpdateUser(f.ctx, a), "a verifies its "+idf.field)
			idf.take(b, b, true)
			f.dup(f.s.UpdateUser(f.ctx, b), idf.field, "b verifies the "+idf.field+" a holds verified")
			idf.release(a)
			f.ok(f.s.UpdateUser(f.ctx, a), "a changes its "+idf.field)
			f.ok(f.s.UpdateUser(f.ctx, b), "b verifies the released "+idf.field)
			f.lookupIs(idf, b, b, "lookup after b verified")
		}
	}},
	{"LookupOrder", func(f *fixture) {
		// The verified holder, else the newest unverified one (CreatedAt,
		// then id; a zero CreatedAt is the oldest), whatever the order in
		// which they were stored.
		type holder struct {
			suffix   string // of the id: "-b" > "-a"
			sec      int    // CreatedAt, -1 for the zero time
			verified bool
		}
		for _, idf := range identifiers {
			for _, tc := range []struct {
				name    string
				holders []holder
				want    int
			}{
				{"Single", []holder{{"-a", 0, false}}, 0},
				{"NewestUnverified", []holder{{"-b", 20, false}, {"-a", 10, false}, {"-c", 5, false}}, 0},
				{"IDBreaksTies", []holder{{"-a", 10, false}, {"-b", 10, false}}, 1},
				{"ZeroCreatedAtIsOldest", []holder{{"-b", -1, false}, {"-a", 0, false}}, 1},
				{"VerifiedBeforeNewer", []holder{{"-a", 30, false}, {"-b", 10, true}, {"-c", 20, false}}, 1},
				{"VerifiedStoredLast", []holder{{"-c", 30, false}, {"-b", 40, false}, {"-a", 0, true}}, 2},
			} {
				what := idf.field + " " + tc.name
				base, first := id("user"), f.unverifiedUser()
				stored := make([]*storage.User, len(tc.holders))
				for i, h := range tc.holders {
					u := f.unverifiedUser()
					u.ID = base + h.suffix
					idf.take(u, first, h.verified)
					u.CreatedAt = f.at(h.sec)
					if h.sec < 0 {
						u.CreatedAt = time.Time{}
					}
					f.ok(f.s.CreateUser(f.ctx, u), "CreateUser: "+what)
					stored[i] = u
				}
				f.lookupIs(idf, first, stored[tc.want], "lookup: "+what)
			}
		}
	}},
}
