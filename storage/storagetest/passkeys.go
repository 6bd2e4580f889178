package storagetest

import (
	"context"
	"errors"
	"slices"

	"github.com/onboardkit/onboardkit/storage"
)

// newPasskey returns a passkey of a new user, created at base.
func (f *fixture) newPasskey() *storage.Passkey {
	return &storage.Passkey{
		ID:                id("pk"),
		UserID:            f.userID(),
		CredentialID:      hash(),
		UserHandle:        hash(),
		PublicKey:         append([]byte{0xa5, 0x01, 0x02}, hash()...),
		AttestationFormat: "packed",
		AAGUID:            hash()[:16],
		SignCount:         7,
		Transports:        []string{"internal", "hybrid"},
		BackupEligible:    true,
		BackupState:       true,
		Name:              "Laptop",
		CreatedAt:         f.at(0),
	}
}

func (f *fixture) createPasskey() *storage.Passkey {
	f.Helper()
	p := f.newPasskey()
	f.ok(f.s.CreatePasskey(f.ctx, p), "CreatePasskey")
	return p
}

func (f *fixture) getPasskey(credentialID []byte) *storage.Passkey {
	f.Helper()
	p, err := f.s.GetPasskey(f.ctx, credentialID)
	f.ok(err, "GetPasskey")
	return p
}

var passkeyTests = []test{
	{"CreateAndGet", func(f *fixture) {
		p := f.createPasskey()
		f.equal(f.getPasskey(p.CredentialID), p, "GetPasskey")
		// Copied in: changing the record after passing it changes nothing.
		p.Name, p.CredentialID[0] = "changed", p.CredentialID[0]^0xff
		_, err := f.s.GetPasskey(f.ctx, p.CredentialID)
		f.is(err, storage.ErrNotFound, "GetPasskey of a credential id changed after CreatePasskey")
		// A minimal one: no transports, no AAGUID, counter 0.
		m := f.newPasskey()
		m.Transports, m.AAGUID, m.SignCount, m.BackupEligible, m.BackupState, m.Name = nil, nil, 0, false, false, ""
		f.ok(f.s.CreatePasskey(f.ctx, m), "CreatePasskey minimal")
		f.equal(f.getPasskey(m.CredentialID), m, "GetPasskey minimal")
		_, err = f.s.GetPasskey(f.ctx, hash())
		f.is(err, storage.ErrNotFound, "GetPasskey of an unknown credential")
	}},
	{"Duplicates", func(f *fixture) {
		p := f.createPasskey()
		q := f.newPasskey()
		q.ID = p.ID
		f.dup(f.s.CreatePasskey(f.ctx, q), "id", "CreatePasskey with a taken id")
		r := f.newPasskey()
		r.CredentialID = p.CredentialID
		f.dup(f.s.CreatePasskey(f.ctx, r), "credential_id", "CreatePasskey with a taken credential id")
	}},
	{"ListOldestFirst", func(f *fixture) {
		u := f.userID()
		var want []*storage.Passkey
		for i, sec := range []int{30, 10, 20} {
			p := f.newPasskey()
			p.UserID, p.CreatedAt, p.Name = u, f.at(sec), string(rune('a'+i))
			f.ok(f.s.CreatePasskey(f.ctx, p), "CreatePasskey")
			want = append(want, p)
		}
		f.createPasskey() // another user's
		slices.SortFunc(want, func(a, b *storage.Passkey) int { return a.CreatedAt.Compare(b.CreatedAt) })
		got, err := f.s.ListPasskeys(f.ctx, u)
		f.ok(err, "ListPasskeys")
		f.equal(got, want, "ListPasskeys")
		none, err := f.s.ListPasskeys(f.ctx, f.userID())
		f.ok(err, "ListPasskeys of a user without passkeys")
		f.check(len(none) == 0, "ListPasskeys of a user without passkeys returned %d", len(none))
	}},
	{"UseComparesCounter", func(f *fixture) {
		p := f.createPasskey() // SignCount 7
		f.is(f.s.UsePasskey(f.ctx, p.CredentialID, 6, 9, false, f.at(5)), storage.ErrConflict, "UsePasskey with a stale counter")
		f.ok(f.s.UsePasskey(f.ctx, p.CredentialID, 7, 9, false, f.at(5)), "UsePasskey")
		got := f.getPasskey(p.CredentialID)
		p.SignCount, p.BackupState, p.LastUsedAt = 9, false, f.at(5)
		f.equal(got, p, "after UsePasskey")
		f.is(f.s.UsePasskey(f.ctx, p.CredentialID, 7, 10, false, f.at(6)), storage.ErrConflict, "UsePasskey replaying the old counter")
		f.is(f.s.UsePasskey(f.ctx, hash(), 0, 1, false, f.at(6)), storage.ErrNotFound, "UsePasskey of an unknown credential")
		// A counter that stays at 0 (authenticators without a counter).
		z := f.newPasskey()
		z.SignCount = 0
		f.ok(f.s.CreatePasskey(f.ctx, z), "CreatePasskey")
		f.ok(f.s.UsePasskey(f.ctx, z.CredentialID, 0, 0, true, f.at(7)), "UsePasskey 0 -> 0")
		f.ok(f.s.UsePasskey(f.ctx, z.CredentialID, 0, 0, true, f.at(8)), "UsePasskey 0 -> 0 again")
	}},
	{"DeleteOnlyOwn", func(f *fixture) {
		p := f.createPasskey()
		f.is(f.s.DeletePasskey(f.ctx, f.userID(), p.ID), storage.ErrNotFound, "DeletePasskey by another user")
		f.ok(f.s.DeletePasskey(f.ctx, p.UserID, p.ID), "DeletePasskey")
		_, err := f.s.GetPasskey(f.ctx, p.CredentialID)
		f.is(err, storage.ErrNotFound, "GetPasskey after DeletePasskey")
		f.is(f.s.DeletePasskey(f.ctx, p.UserID, p.ID), storage.ErrNotFound, "DeletePasskey again")
		// The credential id is free again.
		q := f.newPasskey()
		q.CredentialID = p.CredentialID
		f.ok(f.s.CreatePasskey(f.ctx, q), "CreatePasskey reusing a deleted credential id")
	}},
	{"GoWithUser", func(f *fixture) {
		for _, records := range []bool{false, true} {
			p := f.createPasskey()
			if records {
				f.ok(f.s.DeleteUserRecords(f.ctx, p.UserID, true), "DeleteUserRecords")
			} else {
				f.ok(f.s.DeleteUser(f.ctx, p.UserID), "DeleteUser")
			}
			_, err := f.s.GetPasskey(f.ctx, p.CredentialID)
			f.is(err, storage.ErrNotFound, "GetPasskey after deleting the user")
		}
	}},
	{"RolledBackWithTx", func(f *fixture) {
		p := f.newPasskey()
		boom := errors.New("boom")
		err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := s.CreatePasskey(ctx, p); err != nil {
				return err
			}
			return boom
		})
		f.is(err, boom, "Tx")
		_, err = f.s.GetPasskey(f.ctx, p.CredentialID)
		f.is(err, storage.ErrNotFound, "GetPasskey after a rolled-back CreatePasskey")
	}},
}

var passkeyConcurrencyTests = []test{
	{"UsePasskeyOnce", func(f *fixture) {
		// Assertions that read the same counter race: one is recorded.
		p := f.createPasskey()
		errs := race(40, func(i int) error {
			return f.replica(i).UsePasskey(f.ctx, p.CredentialID, 7, 8, true, f.at(10))
		})
		f.winners(errs, 1, isErr(storage.ErrConflict), "40 UsePasskey from counter 7")
		f.check(f.getPasskey(p.CredentialID).SignCount == 8, "SignCount = %d, want 8", f.getPasskey(p.CredentialID).SignCount)
	}},
	{"CreatePasskeyOnce", func(f *fixture) {
		u, cred := f.userID(), hash()
		errs := race(20, func(i int) error {
			p := f.newPasskey()
			p.UserID, p.CredentialID = u, cred
			return f.replica(i).CreatePasskey(f.ctx, p)
		})
		f.winners(errs, 1, isDup("credential_id"), "20 CreatePasskey of one credential id")
	}},
}
