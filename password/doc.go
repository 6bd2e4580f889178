// Package password holds everything onboardkit knows about passwords: the
// password policy, the argon2id hasher and the embedded blocklist of common
// passwords.
//
// # Policy
//
// [DefaultPolicy] returns the policy of the sign-up seed: 8 to 128 characters
// (counted in runes), at least one digit and one letter, not the user's phone
// number, no profile information (names, email local part, phone digits,
// birth date), not one of the previous 5 passwords, not too common (the
// embedded list of the 100,000 most common breached passwords, matched after
// case and accent folding, common character substitutions and stripping a
// short run of digits or symbols) and not too simple (keyboard rows in
// QWERTY, AZERTY and QWERTZ, alphabetic and numeric sequences, repetitions).
// Every rule is a field of [Policy] that the host can tune or switch off.
//
// [Policy.Validate] returns nil or a [*PolicyError] that lists every violated
// rule with a stable code (the password field codes of the root package,
// onboardkit.FieldTooShort and the others) and an English message.
// errors.Is(err, onboardkit.ErrPasswordPolicy) holds for it, and errors.As with an
// *onboardkit.Error yields code password_policy with one field error per
// violation. [Policy.ValidateWithHistory] also checks the previous password
// hashes (the reused rule). An optional [BreachChecker], such as the
// Have I Been Pwned range client [HIBPClient], is consulted when configured.
//
// # Hasher
//
// [Hasher] hashes with argon2id at the OWASP parameters ([DefaultParams]) and
// encodes PHC strings ($argon2id$v=19$m=19456,t=2,p=1$salt$hash). It verifies
// in constant time, verifies bcrypt hashes of users migrated from other
// systems, reports when a stored hash should be upgraded
// ([Hasher.NeedsRehash]), can pepper passwords with an HMAC key, bounds the
// number of concurrent hashes so that a burst of sign-ups cannot exhaust
// memory, and offers [Hasher.DummyVerify] to even out the timing of logins of
// unknown users. Tests of other packages should use [TestParams], which is
// about a thousand times cheaper.
//
// # Blocklist
//
// [DefaultBlocklist] is the embedded list, decompressed lazily on first use
// into a sorted slice of 64-bit hashes (about 800 KB of heap). A host can
// replace it ([NewBlocklist], [ReadBlocklist]) or extend it
// ([Blocklist.Extend]) and set it as [Policy.Blocklist].
package password
