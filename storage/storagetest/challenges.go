package storagetest

import (
	"bytes"
	"errors"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// newChallenge returns an unused challenge created at base, expiring 10
// minutes later, with 5 attempts.
func (f *fixture) newChallenge() *storage.Challenge {
	return &storage.Challenge{
		ID:          id("chal"),
		UserID:      f.userID(),
		Purpose:     "phone_confirmation",
		Channel:     "sms",
		Destination: phone(),
		Locale:      "fr-FR",
		CodeHash:    hash(),
		CreatedAt:   f.at(0),
		ExpiresAt:   f.at(600),
		MaxAttempts: 5,
		Sends:       1,
		LastSentAt:  f.at(0),
		ResendAt:    f.at(30),
		Payload:     []byte(`{"pending":"x"}`),
		Proven:      true,
	}
}

func (f *fixture) createChallenge() *storage.Challenge {
	f.Helper()
	c := f.newChallenge()
	f.ok(f.s.CreateChallenge(f.ctx, c), "CreateChallenge")
	return c
}

func (f *fixture) getChallenge(id string) *storage.Challenge {
	f.Helper()
	c, err := f.s.GetChallenge(f.ctx, id)
	f.ok(err, "GetChallenge")
	return c
}

var challengeTests = []test{
	{"CreateAndGet", func(f *fixture) {
		c := f.createChallenge()
		f.equal(f.getChallenge(c.ID), c, "GetChallenge")

		// A TOTP login challenge has no code hash, no user is fine too,
		// and so are an empty destination and locale.
		d := f.newChallenge()
		d.CodeHash, d.Payload, d.UserID, d.Channel, d.Destination, d.Locale = nil, nil, "", "totp", "", ""
		d.Proven = false
		f.ok(f.s.CreateChallenge(f.ctx, d), "CreateChallenge without hash")
		f.equal(f.getChallenge(d.ID), d, "GetChallenge without hash")
	}},
	{"LocaleAndProven", func(f *fixture) {
		// The locale a challenge was issued in and whether it was issued
		// after a proven factor round-trip and survive every write: a
		// resend is rendered in the locale and counted in the budget of
		// its kind.
		for i, locale := range []string{"fr", "fr-FR", "en", "zh-Hant-TW", ""} {
			c := f.newChallenge()
			c.Locale, c.Proven = locale, i%2 == 0
			cl := c.Clone()
			f.check(cl.Locale == locale && cl.Proven == c.Proven, "Clone dropped Locale %q or Proven %v", locale, c.Proven)
			f.ok(f.s.CreateChallenge(f.ctx, c), "CreateChallenge")
			f.equal(f.getChallenge(c.ID), c, "GetChallenge")
			_, err := f.s.FailChallengeAttempt(f.ctx, c.ID, f.at(1))
			f.ok(err, "FailChallengeAttempt")
			f.ok(f.s.SetChallengeResendAt(f.ctx, c.ID, f.at(2)), "SetChallengeResendAt")
			h := hash()
			f.ok(f.s.ResendChallenge(f.ctx, c.ID, 1, h, f.at(40), f.at(100), f.at(700)), "ResendChallenge")
			f.ok(f.s.ConsumeChallenge(f.ctx, c.ID, h, f.at(41)), "ConsumeChallenge")
			got := f.getChallenge(c.ID)
			f.check(got.Locale == locale && got.Proven == c.Proven, "after resend and consume: Locale = %q, Proven = %v, want %q, %v",
				got.Locale, got.Proven, locale, c.Proven)
		}
	}},
	{"Latest", func(f *fixture) {
		// The newest challenge of the user and purpose: greatest CreatedAt,
		// then greatest id, whatever the order of storing.
		type chal struct {
			suffix, purpose string
			sec             int // CreatedAt, -1 for the zero time
		}
		for _, tc := range []struct {
			name  string
			chals []chal
			want  int // index in chals, -1 for none
		}{
			{"Single", []chal{{"-a", "login", 0}}, 0},
			{"Newest", []chal{{"-a", "login", 20}, {"-b", "login", 30}, {"-c", "login", 10}}, 1},
			{"IDBreaksTies", []chal{{"-b", "login", 10}, {"-a", "login", 10}}, 0},
			{"ZeroCreatedAtIsOldest", []chal{{"-b", "login", -1}, {"-a", "login", 0}}, 1},
			{"OtherPurposeIgnored", []chal{{"-a", "login", 10}, {"-b", "password_reset", 20}}, 0},
			{"NoneOfThePurpose", []chal{{"-a", "password_reset", 10}}, -1},
			{"None", nil, -1},
		} {
			uid, base := f.userID(), id("chal")
			stored := make([]*storage.Challenge, len(tc.chals))
			for i, c := range tc.chals {
				stored[i] = f.newChallenge()
				stored[i].ID, stored[i].UserID, stored[i].Purpose = base+c.suffix, uid, c.purpose
				stored[i].CreatedAt = f.at(c.sec)
				if c.sec < 0 {
					stored[i].CreatedAt = time.Time{}
				}
				f.ok(f.s.CreateChallenge(f.ctx, stored[i]), "CreateChallenge: "+tc.name)
			}
			// A newer challenge of another user does not count.
			other := f.newChallenge()
			other.Purpose, other.CreatedAt = "login", f.at(100)
			f.ok(f.s.CreateChallenge(f.ctx, other), "CreateChallenge of another user")
			got, err := f.s.LatestChallenge(f.ctx, uid, "login")
			if tc.want < 0 {
				f.is(err, storage.ErrNotFound, "LatestChallenge: "+tc.name)
				continue
			}
			f.ok(err, "LatestChallenge: "+tc.name)
			f.equal(got, stored[tc.want], "LatestChallenge: "+tc.name)
		}
		_, err := f.s.LatestChallenge(f.ctx, id("user"), "login")
		f.is(err, storage.ErrNotFound, "LatestChallenge of an unknown user")
	}},
	{"DuplicateID", func(f *fixture) {
		c := f.createChallenge()
		d := f.newChallenge()
		d.ID = c.ID
		f.dup(f.s.CreateChallenge(f.ctx, d), "id", "CreateChallenge with a taken id")
		f.equal(f.getChallenge(c.ID), c, "first challenge")
	}},
	{"NotFound", func(f *fixture) {
		f.createChallenge()
		missing := id("chal")
		_, err := f.s.GetChallenge(f.ctx, missing)
		f.is(err, storage.ErrNotFound, "GetChallenge")
		_, err = f.s.FailChallengeAttempt(f.ctx, missing, f.at(1))
		f.is(err, storage.ErrNotFound, "FailChallengeAttempt")
		f.is(f.s.ConsumeChallenge(f.ctx, missing, hash(), f.at(1)), storage.ErrNotFound, "ConsumeChallenge")
		// Pinned: SetChallengeResendAt of a missing challenge is ErrNotFound.
		f.is(f.s.SetChallengeResendAt(f.ctx, missing, f.at(1)), storage.ErrNotFound, "SetChallengeResendAt")
		err = f.s.ResendChallenge(f.ctx, missing, 1, hash(), f.at(1), f.at(2), f.at(3))
		f.check(errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict),
			"ResendChallenge of a missing challenge: got %v, want ErrNotFound or ErrConflict", err)
	}},
	{"FailAttemptCountsToMax", func(f *fixture) {
		c := f.createChallenge()
		for want := 1; want <= c.MaxAttempts; want++ {
			n, err := f.s.FailChallengeAttempt(f.ctx, c.ID, f.at(want))
			f.ok(err, "FailChallengeAttempt")
			f.check(n == want, "FailChallengeAttempt = %d, want %d", n, want)
		}
		_, err := f.s.FailChallengeAttempt(f.ctx, c.ID, f.at(10))
		f.is(err, storage.ErrConflict, "FailChallengeAttempt past MaxAttempts")
		c.Attempts = c.MaxAttempts
		f.equal(f.getChallenge(c.ID), c, "burned challenge")
		// A burned challenge cannot be consumed, even with the right code.
		f.is(f.s.ConsumeChallenge(f.ctx, c.ID, c.CodeHash, f.at(11)), storage.ErrConflict, "ConsumeChallenge of a burned challenge")
	}},
	{"FailAttemptRefusesExpiredAndConsumed", func(f *fixture) {
		c := f.createChallenge()
		_, err := f.s.FailChallengeAttempt(f.ctx, c.ID, c.ExpiresAt)
		f.is(err, storage.ErrConflict, "FailChallengeAttempt at ExpiresAt")
		_, err = f.s.FailChallengeAttempt(f.ctx, c.ID, f.at(601))
		f.is(err, storage.ErrConflict, "FailChallengeAttempt after ExpiresAt")
		f.equal(f.getChallenge(c.ID), c, "expired challenge unchanged")

		d := f.createChallenge()
		f.ok(f.s.ConsumeChallenge(f.ctx, d.ID, d.CodeHash, f.at(1)), "ConsumeChallenge")
		_, err = f.s.FailChallengeAttempt(f.ctx, d.ID, f.at(2))
		f.is(err, storage.ErrConflict, "FailChallengeAttempt of a consumed challenge")
		f.check(f.getChallenge(d.ID).Attempts == 0, "a refused attempt was counted")
	}},
	{"Consume", func(f *fixture) {
		c := f.createChallenge()
		_, err := f.s.FailChallengeAttempt(f.ctx, c.ID, f.at(1))
		f.ok(err, "FailChallengeAttempt")
		f.ok(f.s.ConsumeChallenge(f.ctx, c.ID, bytes.Clone(c.CodeHash), f.at(5)), "ConsumeChallenge")
		c.Attempts, c.ConsumedAt = 1, f.at(5)
		f.equal(f.getChallenge(c.ID), c, "consumed challenge")
		f.is(f.s.ConsumeChallenge(f.ctx, c.ID, c.CodeHash, f.at(6)), storage.ErrConflict, "second ConsumeChallenge")
		f.equal(f.getChallenge(c.ID), c, "challenge after a second consume")
	}},
	{"ConsumeRefusals", func(f *fixture) {
		c := f.createChallenge()
		f.is(f.s.ConsumeChallenge(f.ctx, c.ID, hash(), f.at(1)), storage.ErrConflict, "ConsumeChallenge with a wrong hash")
		f.is(f.s.ConsumeChallenge(f.ctx, c.ID, nil, f.at(1)), storage.ErrConflict, "ConsumeChallenge with no hash")
		f.is(f.s.ConsumeChallenge(f.ctx, c.ID, c.CodeHash, c.ExpiresAt), storage.ErrConflict, "ConsumeChallenge at ExpiresAt")
		f.is(f.s.ConsumeChallenge(f.ctx, c.ID, c.CodeHash, f.at(3600)), storage.ErrConflict, "ConsumeChallenge after expiry")
		f.equal(f.getChallenge(c.ID), c, "challenge after refused consumes (nothing written)")
		f.ok(f.s.ConsumeChallenge(f.ctx, c.ID, c.CodeHash, f.at(599)), "ConsumeChallenge just before expiry")
	}},
	{"ConsumeWithoutCodeHash", func(f *fixture) {
		// A TOTP login challenge has no code hash; its caller consumes it
		// with none once the TOTP code checked out.
		c := f.newChallenge()
		c.CodeHash, c.Channel, c.Purpose = nil, "totp", "login"
		f.ok(f.s.CreateChallenge(f.ctx, c), "CreateChallenge")
		f.is(f.s.ConsumeChallenge(f.ctx, c.ID, hash(), f.at(1)), storage.ErrConflict, "ConsumeChallenge with a hash")
		f.ok(f.s.ConsumeChallenge(f.ctx, c.ID, nil, f.at(2)), "ConsumeChallenge with no hash")
		f.check(f.getChallenge(c.ID).ConsumedAt.Equal(f.at(2)), "ConsumedAt not set")
	}},
	{"Resend", func(f *fixture) {
		c := f.createChallenge()
		_, err := f.s.FailChallengeAttempt(f.ctx, c.ID, f.at(1))
		f.ok(err, "FailChallengeAttempt")
		_, err = f.s.FailChallengeAttempt(f.ctx, c.ID, f.at(2))
		f.ok(err, "FailChallengeAttempt")
		oldHash, newHash := c.CodeHash, hash()
		f.ok(f.s.ResendChallenge(f.ctx, c.ID, 1, newHash, f.at(40), f.at(100), f.at(700)), "ResendChallenge")
		want := c.Clone()
		want.CodeHash, want.Sends, want.LastSentAt, want.ResendAt, want.ExpiresAt = newHash, 2, f.at(40), f.at(100), f.at(700)
		want.Attempts = 2 // kept
		f.equal(f.getChallenge(c.ID), want, "resent challenge")

		f.is(f.s.ResendChallenge(f.ctx, c.ID, 1, hash(), f.at(41), f.at(101), f.at(701)), storage.ErrConflict, "ResendChallenge with stale prevSends")
		f.equal(f.getChallenge(c.ID), want, "challenge after a stale resend")
		f.is(f.s.ConsumeChallenge(f.ctx, c.ID, oldHash, f.at(42)), storage.ErrConflict, "ConsumeChallenge with the replaced hash")
		// Valid until the new ExpiresAt.
		f.ok(f.s.ConsumeChallenge(f.ctx, c.ID, newHash, f.at(650)), "ConsumeChallenge with the new hash after the old expiry")
		f.is(f.s.ResendChallenge(f.ctx, c.ID, 2, hash(), f.at(660), f.at(700), f.at(1200)), storage.ErrConflict, "ResendChallenge of a consumed challenge")
	}},
	{"ResendKeepsBurned", func(f *fixture) {
		c := f.newChallenge()
		c.MaxAttempts = 1
		f.ok(f.s.CreateChallenge(f.ctx, c), "CreateChallenge")
		_, err := f.s.FailChallengeAttempt(f.ctx, c.ID, f.at(1))
		f.ok(err, "FailChallengeAttempt")
		newHash := hash()
		f.ok(f.s.ResendChallenge(f.ctx, c.ID, 1, newHash, f.at(40), f.at(100), f.at(700)), "ResendChallenge")
		f.is(f.s.ConsumeChallenge(f.ctx, c.ID, newHash, f.at(41)), storage.ErrConflict, "ConsumeChallenge of a burned, resent challenge")
	}},
	{"SetResendAt", func(f *fixture) {
		c := f.createChallenge()
		f.ok(f.s.SetChallengeResendAt(f.ctx, c.ID, f.at(1)), "SetChallengeResendAt")
		c.ResendAt = f.at(1)
		f.equal(f.getChallenge(c.ID), c, "challenge after SetChallengeResendAt")
	}},
	{"CountSend", func(f *fixture) {
		key, other := id("dest"), id("dest")
		w1, w2 := f.at(0), f.at(3600)
		for want := 1; want <= 3; want++ {
			n, err := f.s.CountSend(f.ctx, key, w1)
			f.ok(err, "CountSend")
			f.check(n == want, "CountSend = %d, want %d", n, want)
		}
		n, err := f.s.CountSend(f.ctx, key, w2)
		f.ok(err, "CountSend")
		f.check(n == 1, "CountSend in a new window = %d, want 1", n)
		n, err = f.s.CountSend(f.ctx, other, w1)
		f.ok(err, "CountSend")
		f.check(n == 1, "CountSend of another key = %d, want 1", n)
		n, err = f.s.CountSend(f.ctx, key, w1)
		f.ok(err, "CountSend")
		f.check(n == 4, "CountSend back in the first window = %d, want 4", n)
	}},
	{"CapSend", func(f *fixture) {
		capper := f.capper()
		if capper == nil {
			return
		}
		key, other := id("dest"), id("dest")
		w1, w2 := f.at(0), f.at(3600)
		for range 3 {
			f.ok(capper.CapSend(f.ctx, key, w1, 3), "CapSend under the limit")
		}
		f.is(capper.CapSend(f.ctx, key, w1, 3), storage.ErrSendLimit, "CapSend of a full window")
		f.ok(capper.CapSend(f.ctx, key, w2, 3), "CapSend in a new window")
		f.ok(capper.CapSend(f.ctx, other, w1, 3), "CapSend of another key")
		n, err := f.s.CountSend(f.ctx, key, w1)
		f.ok(err, "CountSend")
		f.check(n == 4, "CountSend after three sends and a refusal = %d, want 4 (a refusal counts nothing)", n)
		f.is(capper.CapSend(f.ctx, key, w1, 4), storage.ErrSendLimit, "CapSend at the limit")
		f.ok(capper.CapSend(f.ctx, key, w1, -1), "CapSend without a limit")
		f.is(capper.CapSend(f.ctx, id("dest"), w1, 0), storage.ErrSendLimit, "CapSend with a limit of 0")
	}},
	{"DeepCopy", func(f *fixture) {
		c := f.newChallenge()
		f.ok(f.s.CreateChallenge(f.ctx, c), "CreateChallenge")
		want := c.Clone()
		c.CodeHash[0] ^= 0xff
		c.Payload[0] = 'X'
		c.Attempts = 3
		c.Locale = "de"
		c.Proven = false
		got := f.getChallenge(c.ID)
		f.equal(got, want, "after mutating the record passed in")
		got.CodeHash[1] ^= 0xff
		got.Payload[1] = 'X'
		f.equal(f.getChallenge(c.ID), want, "after mutating a returned record")

		h := hash()
		f.ok(f.s.ResendChallenge(f.ctx, c.ID, 1, h, f.at(40), f.at(100), f.at(700)), "ResendChallenge")
		saved := bytes.Clone(h)
		h[0] ^= 0xff
		f.check(bytes.Equal(f.getChallenge(c.ID).CodeHash, saved), "ResendChallenge kept a reference to the caller's hash")
	}},
}

// capper returns the store as a storage.SendCapper, or nil (logged) when it
// is none: the interface is optional, and its tests then have nothing to
// check.
func (f *fixture) capper() storage.SendCapper {
	c, ok := f.s.(storage.SendCapper)
	if !ok {
		f.Logf("the store is no storage.SendCapper")
	}
	return c
}
