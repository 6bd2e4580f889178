package storagetest

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// userAt returns a new user (not stored) created sec seconds into the
// window w.
func (f *fixture) userAt(w time.Time, sec int) *storage.User {
	u := f.newUser()
	u.CreatedAt = w.Add(time.Duration(sec) * time.Second)
	return u
}

// uuidUserAt is userAt with a random UUID-like id (lowercase hex with
// dashes), the shape of the ids the onboarding Service gives users.
func (f *fixture) uuidUserAt(w time.Time, sec int) *storage.User {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	u := f.newUserWithID(fmt.Sprintf("%x-%x-%x-%x-%x", b[:4], b[4:6], b[6:8], b[8:10], b[10:]))
	u.CreatedAt = w.Add(time.Duration(sec) * time.Second)
	return u
}

// mixedUsers returns users (not stored) created at the seconds secs of w,
// every other one with a UUID-like id.
func (f *fixture) mixedUsers(w time.Time, secs ...int) []*storage.User {
	us := make([]*storage.User, len(secs))
	for i, sec := range secs {
		if i%2 == 0 {
			us[i] = f.uuidUserAt(w, sec)
		} else {
			us[i] = f.userAt(w, sec)
		}
	}
	return us
}

func (f *fixture) createUsers(us ...*storage.User) {
	f.Helper()
	for _, u := range us {
		f.ok(f.s.CreateUser(f.ctx, u), "CreateUser")
	}
}

// within returns the query of the users created in the window w.
func within(w time.Time) storage.UserQuery {
	return storage.UserQuery{CreatedFrom: w, CreatedTo: w.Add(time.Hour)}
}

func (f *fixture) search(q storage.UserQuery) []*storage.User {
	f.Helper()
	us, err := f.s.SearchUsers(f.ctx, q)
	f.ok(err, "SearchUsers")
	return us
}

// compareSearch compares two users in the order of SearchUsers: CreatedAt,
// then ID in byte order.
func compareSearch(a, b *storage.User) int {
	if n := a.CreatedAt.Compare(b.CreatedAt); n != 0 {
		return n
	}
	return strings.Compare(a.ID, b.ID)
}

// sortedUsers returns us in the order of SearchUsers.
func sortedUsers(us ...*storage.User) []*storage.User {
	out := slices.Clone(us)
	slices.SortFunc(out, compareSearch)
	return out
}

func cursor(u *storage.User) storage.UserCursor {
	return storage.UserCursor{CreatedAt: u.CreatedAt, ID: u.ID}
}

// pageAll reads q through s in pages of limit users, each starting after
// the last user of the one before, until a page is empty, calling between
// (when not nil) after each page; it returns the users read in order.
func (f *fixture) pageAll(s storage.Store, q storage.UserQuery, limit int, between func()) []*storage.User {
	f.Helper()
	q.Limit, q.After = limit, storage.UserCursor{}
	var all []*storage.User
	for range 1000 {
		page, err := s.SearchUsers(f.ctx, q)
		f.ok(err, "SearchUsers")
		f.check(len(page) <= limit, "a page of %d users with Limit %d", len(page), limit)
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		q.After = cursor(page[len(page)-1])
		if between != nil {
			between()
		}
	}
	f.Fatalf("paging by %d did not end after 1000 pages", limit)
	return nil
}

// ids returns the ids of us.
func ids(us []*storage.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

// The search tests find their users by creation time in windows of their
// own (window), by a phone or email of their own, or both, so that other
// users in a shared database never match.
var searchTests = []test{
	{"Filters", func(f *fixture) {
		w := window()
		us := f.mixedUsers(w, 0, 1, 2, 3, 4, 5)
		us[1].Status, us[1].KYCStatus = "active", "active"
		us[2].Status, us[2].KYCStatus = "active", "under_review"
		us[3].KYCStatus = "active"
		// us[3] holds an email verified and us[4] holds it unverified in
		// upper case; us[4] holds a phone verified and us[5] unverified.
		us[4].Email, us[4].EmailVerified = strings.ToUpper(us[3].Email), false
		us[5].Phone, us[5].PhoneVerified, us[5].Status = us[4].Phone, false, "contact_verified"
		f.createUsers(us...)
		from, to := w, w.Add(time.Hour)
		sec := func(n int) time.Time { return w.Add(time.Duration(n) * time.Second) }
		for _, tc := range []struct {
			name string
			q    storage.UserQuery
			want []int // indexes in us
		}{
			{"creation window only", storage.UserQuery{CreatedFrom: from, CreatedTo: to}, []int{0, 1, 2, 3, 4, 5}},
			{"status", storage.UserQuery{CreatedFrom: from, CreatedTo: to, Status: "active"}, []int{1, 2}},
			{"KYC status", storage.UserQuery{CreatedFrom: from, CreatedTo: to, KYCStatus: "active"}, []int{1, 3}},
			{"status and KYC status", storage.UserQuery{CreatedFrom: from, CreatedTo: to, Status: "active", KYCStatus: "active"}, []int{1}},
			{"phone, verified or not", storage.UserQuery{Phone: us[4].Phone}, []int{4, 5}},
			{"email, verified or not, lower case", storage.UserQuery{Email: strings.ToLower(us[3].Email)}, []int{3, 4}},
			{"email in upper case", storage.UserQuery{Email: strings.ToUpper(us[3].Email)}, []int{3, 4}},
			{"phone and email", storage.UserQuery{Phone: us[4].Phone, Email: us[3].Email}, []int{4}},
			{"phone and status", storage.UserQuery{Phone: us[4].Phone, Status: "contact_verified"}, []int{5}},
			{"email and KYC status", storage.UserQuery{Email: us[3].Email, KYCStatus: "active"}, []int{3}},
			{"phone and window", storage.UserQuery{Phone: us[4].Phone, CreatedFrom: sec(5), CreatedTo: to}, []int{5}},
			{"created from is inclusive", storage.UserQuery{CreatedFrom: sec(2), CreatedTo: to}, []int{2, 3, 4, 5}},
			{"created to is exclusive", storage.UserQuery{CreatedFrom: from, CreatedTo: sec(2)}, []int{0, 1}},
			{"creation range", storage.UserQuery{CreatedFrom: sec(1), CreatedTo: sec(3)}, []int{1, 2}},
			{"creation range and KYC status", storage.UserQuery{CreatedFrom: sec(1), CreatedTo: sec(4), KYCStatus: "active"}, []int{1, 3}},
			{"empty range", storage.UserQuery{CreatedFrom: sec(3), CreatedTo: sec(3)}, nil},
			{"status matching none", storage.UserQuery{CreatedFrom: from, CreatedTo: to, Status: "rejected"}, nil},
			{"unknown phone", storage.UserQuery{Phone: phone()}, nil},
			{"unknown email", storage.UserQuery{Email: email()}, nil},
			{"status after a cursor", storage.UserQuery{CreatedFrom: from, CreatedTo: to, Status: "active", After: cursor(us[1])}, []int{2}},
			{"KYC status with a limit", storage.UserQuery{CreatedFrom: from, CreatedTo: to, KYCStatus: "active", Limit: 1}, []int{1}},
		} {
			var want []*storage.User
			for _, i := range tc.want {
				want = append(want, us[i])
			}
			f.equal(f.search(tc.q), want, "SearchUsers "+tc.name)
		}
		f.userOpens(f.search(storage.UserQuery{Email: us[3].Email, KYCStatus: "active"})[0], clearProfile)
	}},
	{"Order", func(f *fixture) {
		// Pinned: among users created at the same time, ids (UUID-like
		// lowercase hex with dashes, and the suite's own) compare in byte
		// order, as Go compares strings.
		w := window()
		us := f.mixedUsers(w, 5, 1, 5, 9, 5, 1, 5, 0, 5, 5, 5)
		f.createUsers(us...)
		f.equal(ids(f.search(within(w))), ids(sortedUsers(us...)), "SearchUsers order (ids)")
		f.equal(f.search(within(w)), sortedUsers(us...), "SearchUsers order")
	}},
	{"Paging", func(f *fixture) {
		w := window()
		us := f.mixedUsers(w, 3, 1, 3, 0, 3, 2, 1, 3)
		f.createUsers(us...)
		want := sortedUsers(us...)
		for _, limit := range []int{0, -1} {
			q := within(w)
			q.Limit = limit
			f.equal(f.search(q), want, fmt.Sprintf("Limit %d returns every user", limit))
		}
		for _, size := range []int{1, 2, 3, len(want), len(want) + 5} {
			f.equal(f.pageAll(f.s, within(w), size, nil), want, fmt.Sprintf("every user once, in order, in pages of %d", size))
		}
		for _, tc := range []struct {
			name  string
			after storage.UserCursor
			want  []*storage.User
		}{
			{"zero cursor: from the start", storage.UserCursor{}, want},
			{"after a user", cursor(want[2]), want[3:]},
			{"after a user tied with others", cursor(want[4]), want[5:]},
			{"at a time, before every id", storage.UserCursor{CreatedAt: want[4].CreatedAt}, want[4:]},
			{"before the window", storage.UserCursor{CreatedAt: w.Add(-time.Second), ID: "~"}, want},
			{"after the last", cursor(want[len(want)-1]), nil},
			{"past the last", storage.UserCursor{CreatedAt: w.Add(time.Minute)}, nil},
		} {
			q := within(w)
			q.After = tc.after
			f.equal(f.search(q), tc.want, "SearchUsers "+tc.name)
		}
		// A cursor outlives its user: paging resumes after a deleted one.
		f.ok(f.s.DeleteUser(f.ctx, want[3].ID), "DeleteUser")
		q := within(w)
		q.After = cursor(want[3])
		q.Limit = 2
		f.equal(f.search(q), want[4:6], "SearchUsers after a deleted user")
	}},
	{"ZeroCreatedAtFirst", func(f *fixture) {
		// Pinned: a zero CreatedAt is the oldest: such users come first,
		// before any CreatedTo and never from a CreatedFrom. The users
		// share a phone, unverified, so that no other user matches.
		w := window()
		us := f.mixedUsers(w, 0, 0, 0, 1)
		us[0].CreatedAt, us[1].CreatedAt = time.Time{}, time.Time{}
		p := phone()
		for _, u := range us {
			u.Phone, u.PhoneVerified = p, false
		}
		f.createUsers(us...)
		want := sortedUsers(us...)
		f.check(want[0].CreatedAt.IsZero() && want[1].CreatedAt.IsZero(), "the expected order puts the zero times first")
		for _, tc := range []struct {
			name string
			q    storage.UserQuery
			want []*storage.User
		}{
			{"all", storage.UserQuery{Phone: p}, want},
			{"before CreatedTo", storage.UserQuery{Phone: p, CreatedTo: w.Add(time.Second)}, want[:3]},
			{"not from CreatedFrom", storage.UserQuery{Phone: p, CreatedFrom: w}, want[2:]},
			{"after the first zero time", storage.UserQuery{Phone: p, After: cursor(want[0])}, want[1:]},
			{"after every id at the zero time", storage.UserQuery{Phone: p, After: storage.UserCursor{ID: "~"}}, want[2:]},
			{"after the first timed user", storage.UserQuery{Phone: p, After: cursor(want[2])}, want[3:]},
		} {
			f.equal(f.search(tc.q), tc.want, "SearchUsers "+tc.name)
		}
		f.equal(f.pageAll(f.s, storage.UserQuery{Phone: p}, 1, nil), want, "pages of 1 through the zero times")
	}},
	{"DeepCopy", func(f *fixture) {
		w := window()
		u := f.userAt(w, 0)
		f.createUsers(u)
		got := f.search(within(w))
		f.check(len(got) == 1, "SearchUsers = %d users, want 1", len(got))
		got[0].Roles[0] = "mutated"
		got[0].Metadata.Data[0] ^= 0xff
		got[0].Profile.KeyRef = "mutated"
		f.equal(f.getUser(u.ID), u, "user after mutating a searched record")
		f.equal(f.search(within(w)), []*storage.User{u}, "SearchUsers after mutating a searched record")
		f.userOpens(f.search(within(w))[0], clearProfile)
	}},
}
