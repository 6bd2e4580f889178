package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage"
)

// newDataKey returns a data key of the user wrapped by "kek-1". The user
// need not exist: data keys name no record.
func (f *fixture) newDataKey(userID string) *storage.DataKey {
	return &storage.DataKey{
		UserID: userID, ID: id("dek"), KeyRef: "kek-1", Wrapped: hash(),
		CreatedAt: f.at(0), UpdatedAt: f.at(0),
	}
}

func (f *fixture) createDataKey(userID string) *storage.DataKey {
	f.Helper()
	k := f.newDataKey(userID)
	f.ok(f.s.CreateDataKey(f.ctx, k), "CreateDataKey")
	return k
}

func (f *fixture) getDataKey(userID string) *storage.DataKey {
	f.Helper()
	k, err := f.s.GetDataKey(f.ctx, userID)
	f.ok(err, "GetDataKey")
	return k
}

func (f *fixture) listDataKeys(after string, limit int) []*storage.DataKey {
	f.Helper()
	ks, err := f.s.ListDataKeys(f.ctx, after, limit)
	f.ok(err, fmt.Sprintf("ListDataKeys(%q, %d)", after, limit))
	f.check(limit <= 0 || len(ks) <= limit, "ListDataKeys(%q, %d) returned %d keys", after, limit, len(ks))
	return ks
}

// dataKeyWrites creates fresh, re-wraps moved (stored under "kek-1") and
// deletes gone's key through s, checking that s reads its own writes and
// that a duplicate it handles leaves the unit usable.
func dataKeyWrites(ctx context.Context, s storage.Store, fresh, moved, gone *storage.DataKey) error {
	if err := s.CreateDataKey(ctx, fresh); err != nil {
		return err
	}
	if err := s.UpdateDataKey(ctx, moved, "kek-1"); err != nil {
		return err
	}
	if err := s.DeleteDataKey(ctx, gone.UserID); err != nil {
		return err
	}
	if got, err := s.GetDataKey(ctx, fresh.UserID); err != nil || got.ID != fresh.ID {
		return fmt.Errorf("GetDataKey of the key created in the Tx: %v, %v", got, err)
	}
	if _, err := s.GetDataKey(ctx, gone.UserID); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("GetDataKey of the key deleted in the Tx: %v", err)
	}
	again := *fresh
	if err := s.CreateDataKey(ctx, &again); !errors.Is(err, storage.ErrDuplicate) {
		return fmt.Errorf("CreateDataKey of a key created in the Tx: %v", err)
	}
	return nil
}

var dataKeyTests = []test{
	{"CreateAndGet", func(f *fixture) {
		// Pinned: a key may be stored for a user id no user holds.
		k := f.createDataKey(id("user"))
		f.equal(f.getDataKey(k.UserID), k, "GetDataKey")
		f.dup(f.s.CreateDataKey(f.ctx, f.newDataKey(k.UserID)), "user_id", "CreateDataKey for a user that has a key")
		f.equal(f.getDataKey(k.UserID), k, "the key after a refused second one")

		retained := f.newDataKey(id("user"))
		retained.RetainUntil, retained.UpdatedAt = f.at(86400), f.at(60)
		f.ok(f.s.CreateDataKey(f.ctx, retained), "CreateDataKey with RetainUntil")
		f.equal(f.getDataKey(retained.UserID), retained, "GetDataKey of a retained key")

		_, err := f.s.GetDataKey(f.ctx, id("user"))
		f.is(err, storage.ErrNotFound, "GetDataKey of a user without a key")
	}},
	{"UpdateConditional", func(f *fixture) {
		k := f.createDataKey(id("user"))
		next := k.Clone()
		next.KeyRef, next.Wrapped, next.UpdatedAt = "kek-2", hash(), f.at(10)
		f.ok(f.s.UpdateDataKey(f.ctx, next, "kek-1"), "UpdateDataKey from the stored key ref")
		f.equal(f.getDataKey(k.UserID), next, "the re-wrapped key")

		stale := k.Clone()
		stale.KeyRef, stale.Wrapped = "kek-3", hash()
		f.is(f.s.UpdateDataKey(f.ctx, stale, "kek-1"), storage.ErrConflict, "UpdateDataKey from a stale key ref")
		f.equal(f.getDataKey(k.UserID), next, "the key after the refused update")

		retained := next.Clone()
		retained.KeyRef, retained.Wrapped, retained.RetainUntil, retained.UpdatedAt = "retention-1", hash(), f.at(86400), f.at(20)
		f.ok(f.s.UpdateDataKey(f.ctx, retained, "kek-2"), "UpdateDataKey moving the key under retention")
		f.equal(f.getDataKey(k.UserID), retained, "the retained key")

		f.is(f.s.UpdateDataKey(f.ctx, f.newDataKey(id("user")), "kek-1"), storage.ErrNotFound, "UpdateDataKey of a user without a key")
	}},
	{"Delete", func(f *fixture) {
		k, other := f.createDataKey(id("user")), f.createDataKey(id("user"))
		f.ok(f.s.DeleteDataKey(f.ctx, k.UserID), "DeleteDataKey")
		_, err := f.s.GetDataKey(f.ctx, k.UserID)
		f.is(err, storage.ErrNotFound, "GetDataKey of a deleted key")
		f.is(f.s.DeleteDataKey(f.ctx, k.UserID), storage.ErrNotFound, "DeleteDataKey of a deleted key")
		f.is(f.s.UpdateDataKey(f.ctx, k, "kek-1"), storage.ErrNotFound, "UpdateDataKey of a deleted key")
		f.equal(f.getDataKey(other.UserID), other, "another user's key")
		// The user may get a new key (its old values stay unreadable).
		again := f.createDataKey(k.UserID)
		f.equal(f.getDataKey(k.UserID), again, "a new key after the deletion")
	}},
	{"ListPaging", func(f *fixture) {
		// Ids that share a prefix no other key has, stored out of order.
		prefix := id("dkl") + "-"
		byID := map[string]*storage.DataKey{}
		for _, c := range []string{"c", "a", "e", "b", "d"} {
			byID[c] = f.createDataKey(prefix + c)
		}
		want := []*storage.DataKey{byID["a"], byID["b"], byID["c"], byID["d"], byID["e"]}
		var got []*storage.DataKey
		after := prefix
		for range 2 {
			page := f.listDataKeys(after, 2)
			f.check(len(page) == 2, "a page of %d keys, want 2", len(page))
			got, after = append(got, page...), page[1].UserID
		}
		page := f.listDataKeys(after, 2)
		f.check(len(page) >= 1, "the last page is empty")
		f.equal(append(got, page[0]), want, "pages of two keys, ordered by user id")
		f.equal(f.listDataKeys(prefix, 0)[:5], want, "ListDataKeys with no limit")
		f.equal(f.listDataKeys(prefix+"b", 2), want[2:4], "a page after a given id")

		// A walk of every key from the start meets each of them once, in
		// order.
		seen, ours := map[string]bool{}, []*storage.DataKey(nil)
		for after := ""; ; {
			page := f.listDataKeys(after, 100)
			for _, k := range page {
				f.check(!seen[k.UserID], "the walk meets the key of %s twice", k.UserID)
				seen[k.UserID] = true
				if strings.HasPrefix(k.UserID, prefix) {
					ours = append(ours, k)
				}
			}
			if len(page) < 100 {
				break
			}
			after = page[len(page)-1].UserID
		}
		f.equal(ours, want, "the keys met by a walk from the start")
	}},
	{"RolledBackWithTx", func(f *fixture) {
		moved, gone := f.createDataKey(id("user")), f.createDataKey(id("user"))
		fresh, rewrapped := f.newDataKey(id("user")), moved.Clone()
		rewrapped.KeyRef, rewrapped.Wrapped = "kek-2", hash()
		err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := dataKeyWrites(ctx, s, fresh, rewrapped, gone); err != nil {
				return err
			}
			return errRollback
		})
		f.is(err, errRollback, "Tx")
		_, err = f.s.GetDataKey(f.ctx, fresh.UserID)
		f.is(err, storage.ErrNotFound, "the key created in the rolled-back Tx")
		f.equal(f.getDataKey(moved.UserID), moved, "the key re-wrapped in the rolled-back Tx")
		f.equal(f.getDataKey(gone.UserID), gone, "the key deleted in the rolled-back Tx")

		f.ok(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			return dataKeyWrites(ctx, s, fresh, rewrapped, gone)
		}), "the same writes committed")
		f.equal(f.getDataKey(fresh.UserID), fresh, "the key created in the committed Tx")
		f.equal(f.getDataKey(moved.UserID), rewrapped, "the key re-wrapped in the committed Tx")
		_, err = f.s.GetDataKey(f.ctx, gone.UserID)
		f.is(err, storage.ErrNotFound, "the key deleted in the committed Tx")
	}},
	{"DeepCopy", func(f *fixture) {
		k := f.newDataKey(id("dkc") + "-a")
		want := k.Clone()
		f.ok(f.s.CreateDataKey(f.ctx, k), "CreateDataKey")
		k.Wrapped[0] ^= 0xff
		got := f.getDataKey(k.UserID)
		f.equal(got, want, "after mutating the key passed in")
		got.Wrapped[1] ^= 0xff
		f.equal(f.getDataKey(k.UserID), want, "after mutating a returned key")
		listed := f.listDataKeys(strings.TrimSuffix(k.UserID, "a"), 1)
		f.equal(listed, []*storage.DataKey{want}, "ListDataKeys")
		listed[0].Wrapped[2] ^= 0xff
		f.equal(f.getDataKey(k.UserID), want, "after mutating a listed key")

		upd := want.Clone()
		upd.KeyRef = "kek-2"
		want = upd.Clone()
		f.ok(f.s.UpdateDataKey(f.ctx, upd, "kek-1"), "UpdateDataKey")
		upd.Wrapped[3] ^= 0xff
		f.equal(f.getDataKey(k.UserID), want, "after mutating the key passed to UpdateDataKey")
	}},
	{"OutlivesUser", func(f *fixture) {
		// The user's sealed values made its data key; deleting the user
		// leaves the key, which the caller deletes to shred them.
		u := f.createUser()
		k := f.getDataKey(u.ID)
		f.check(u.Profile.KeyRef == "dek/"+k.ID, "the profile is sealed with key %q, the user's is %q", u.Profile.KeyRef, k.ID)
		f.ok(f.s.DeleteUser(f.ctx, u.ID), "DeleteUser")
		f.equal(f.getDataKey(u.ID), k, "the data key of a deleted user")
		f.opens(u.ID, fieldProfile, u.Profile, clearProfile, "a deleted user's profile kept aside")

		f.ok(f.s.DeleteDataKey(f.ctx, u.ID), "DeleteDataKey")
		fresh, err := newSealer() // nothing cached
		f.ok(err, "newSealer")
		_, err = fresh.Open(f.ctx, f.s, u.ID, fieldProfile, u.Profile)
		f.is(err, seal.ErrKeyDestroyed, "opening a value whose data key is deleted")
	}},
	{"SealInTx", func(f *fixture) {
		// A value sealed in a unit of work that rolls back leaves no key.
		uid := id("user")
		var v storage.Sealed
		err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			var err error
			if v, err = f.sealer.Seal(ctx, s, uid, fieldSSN, clearSSN); err != nil {
				return err
			}
			return errRollback
		})
		f.is(err, errRollback, "Tx")
		_, err = f.s.GetDataKey(f.ctx, uid)
		f.is(err, storage.ErrNotFound, "the data key created in the rolled-back Tx")
		_, err = f.sealer.Open(f.ctx, f.s, uid, fieldSSN, v)
		f.is(err, seal.ErrKeyDestroyed, "opening a value sealed in the rolled-back Tx")

		f.ok(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			var err error
			v, err = f.sealer.Seal(ctx, s, uid, fieldSSN, clearSSN)
			return err
		}), "sealing in a committed Tx")
		f.opens(uid, fieldSSN, v, clearSSN, "a value sealed in a committed Tx")
	}},
}
