package password

import (
	"errors"
	"testing"
)

// FuzzParsePHC checks that parsing a stored hash never panics, that every
// failure matches ErrInvalidHash, that accepted parameters are within the
// limits, and that parsing is strict: an accepted string re-encodes to
// itself.
func FuzzParsePHC(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$qcSGpvXoICN0Q/sxm4pKL8Ycp4vbiULb3oV2uoyxuR0",
		"$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=1048577,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
		"$argon2id$v=19$m=0064,t=1,p=1$$",
		"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"",
		"$$$$$$",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ph, err := parsePHC(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("error %v does not match ErrInvalidHash", err)
			}
			return
		}
		if err := ph.params.validate(); err != nil {
			t.Fatalf("accepted out-of-range params: %v", err)
		}
		if got := encodePHC(ph.params, ph.salt, ph.key); got != s {
			t.Fatalf("not strict: %q re-encodes to %q", s, got)
		}
	})
}
