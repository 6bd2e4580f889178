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
// # Memory
//
// Each argon2id hash or verification needs a buffer of Params.Memory KiB
// (19 MiB at [DefaultParams]). golang.org/x/crypto/argon2 allocates it afresh
// on every call and offers no way to reuse it, so each finished hash leaves
// that much garbage for the collector. The [Hasher] runs at most
// [Hasher.MaxConcurrent] hashes at once, GOMAXPROCS by default (argon2id is
// bound by the CPU: more slots add memory, not hashes per second); further
// callers wait for a slot, and one whose context ends while it waits
// returns the context's error at once, without hashing. The memory of the
// hashes in progress is therefore at most MaxConcurrent × Params.Memory,
// however large a burst of sign-ups or logins. (A stored hash made with a
// larger memory cost, which Verify accepts up to 1 GiB, takes its own cost
// in its slot until [Hasher.NeedsRehash] has it replaced.)
//
// For a host, the budget is MaxConcurrent × Params.Memory plus its own
// baseline: about 64 MiB for the onboarding handler on the PostgreSQL store
// (the in-memory store adds its data), e.g. 2 × 19 + 64 = 102 MiB on 2
// CPUs. With the Go collector's default settings (GOGC=100) the heap grows
// to about twice what was live at the last collection before the buffers
// of finished hashes are reclaimed: 200 concurrent sign-ups took the
// example server (2 CPUs) to a peak resident set of 146–168 MiB. GOMEMLIMIT
// (or runtime/debug.SetMemoryLimit) bounds the memory the Go runtime
// manages, which excludes the binary's own pages (about 30 MiB for the
// example server): the same burst peaked at 119–129 MiB with
// GOMEMLIMIT=92MiB and at 94 MiB, within the budget, with GOMEMLIMIT=70MiB
// (the budget less the binary's pages), at the cost of more frequent
// collections during the burst (about a tenth of its sign-ups per second
// there). Where the process has a hard limit (a container), give it the
// budget plus a quarter and set GOMEMLIMIT below it as above, so that the
// collector reclaims finished hashes' buffers instead of the process being
// killed. golang.org/x/crypto/argon2 has no API to reuse its buffer
// (golang/go#36634 is open); MaxConcurrent lower than GOMAXPROCS lowers the
// budget and the throughput together.
//
// # Blocklist
//
// [DefaultBlocklist] is the embedded list, decompressed lazily on first use
// into a sorted slice of 64-bit hashes (about 800 KB of heap). A host can
// replace it ([NewBlocklist], [ReadBlocklist]) or extend it
// ([Blocklist.Extend]) and set it as [Policy.Blocklist].
package password
