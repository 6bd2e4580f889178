package memory

import (
	"context"
	"slices"
)

// DeleteUser removes the user and every record naming it: password hashes,
// challenges, refresh tokens, the TOTP enrollment and recovery codes, passkeys, KYC
// submissions (with their documents), accounts and portfolios. Audit events
// stay, and so do the user's data key (it names no record) and the
// address-index counters (they belong to a chain and a key, not to a
// user). An unknown id returns storage.ErrNotFound. Inside a Tx that fails,
// the user and its records come back.
func (s *Store) DeleteUser(_ context.Context, id string) error {
	return s.deleteUser(id, true, true)
}

// DeleteUserRecords removes what DeleteUser removes but the user record
// (which keeps its phone and email) and, when keepKYC, its KYC submissions.
// An unknown id returns storage.ErrNotFound.
func (s *Store) DeleteUserRecords(_ context.Context, id string, keepKYC bool) error {
	return s.deleteUser(id, false, !keepKYC)
}

// deleteUser removes the records naming the user, the user record itself
// when user, its KYC submissions when kyc.
func (s *Store) deleteUser(id string, user, kyc bool) error {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	u, ok := d.users[id]
	if !ok {
		return notFound("user")
	}
	if user {
		d.unindexUser(t, u)
		del(t, d.users, id)
	}
	del(t, d.passwords, id)
	delIndexed(t, d.challenges, d.userChal, id)
	d.deleteTokens(t, id)
	del(t, d.totp, id)
	del(t, d.recovery, id)
	delIndexed(t, d.passkeys, d.userPasskeys, id)
	if kyc {
		delIndexed(t, d.kyc, d.kycUser, id)
	}
	d.deleteAccounts(t, id)
	return nil
}

// delIndexed deletes the records that index lists under key, then the
// index entry, recording the previous state in t.
func delIndexed[V any](t *txn, records map[string]V, index map[string][]string, key string) {
	for _, id := range index[key] {
		del(t, records, id)
	}
	del(t, index, key)
}

// deleteTokens removes the user's refresh tokens from the token and family
// indexes; a family left without tokens is forgotten.
func (d *data) deleteTokens(t *txn, userID string) {
	gone := map[string]bool{}
	families := map[string]bool{}
	for _, h := range d.userTokens[userID] {
		gone[h] = true
		families[d.tokens[h].FamilyID] = true
		del(t, d.tokens, h)
	}
	for f := range families {
		removeIf(t, d.families, f, func(h string) bool { return gone[h] })
		if len(d.families[f]) == 0 {
			del(t, d.familyKnown, f)
		}
	}
	del(t, d.userTokens, userID)
	del(t, d.userFamily, userID)
}

// deleteAccounts removes the user's accounts and every portfolio of those
// accounts or naming the user.
func (d *data) deleteAccounts(t *txn, userID string) {
	accounts := d.userAccounts[userID]
	portfolios := slices.Clone(d.userPortfolio[userID])
	for _, a := range accounts {
		portfolios = append(portfolios, d.acctPortfolio[a]...)
	}
	for _, p := range portfolios {
		d.deletePortfolio(t, p)
	}
	for _, a := range accounts {
		del(t, d.accounts, a)
	}
	del(t, d.userAccounts, userID)
}

// deletePortfolio removes the portfolio from every index; a missing one is
// left alone.
func (d *data) deletePortfolio(t *txn, id string) {
	p, ok := d.portfolios[id]
	if !ok {
		return
	}
	del(t, d.portfolios, id)
	if nk := (nameKey{p.AccountID, p.Name}); d.portfolioName[nk] == id {
		del(t, d.portfolioName, nk)
	}
	if slot := (addrSlot{addrKey{p.Chain, p.KeyID}, p.AddressIndex}); p.KeyID != "" && d.portfolioAddr[slot] == id {
		del(t, d.portfolioAddr, slot)
	}
	removeFrom(t, d.acctPortfolio, p.AccountID, id)
	removeFrom(t, d.userPortfolio, p.UserID, id)
}
