package onboarding

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// fullProfile fills every field of a profile.
var fullProfile = kyc.Profile{
	FirstName: "Héloïse", MiddleName: "Marguerite", LastName: "Vasseur-Quintal", BirthDate: "1979-08-23", Nationality: "BEL",
	ResidentialAddress: kyc.Address{StreetLine1: "42 Avenue Fictive", StreetLine2: "Appartement 7B", City: "Bruxelles", State: "Brabant", PostalCode: "1050", Country: "BEL"},
	Locale:             "fr-BE", TimeZone: "Europe/Brussels",
}

// fullSubmission fills every field of a KYC submission the Service keeps
// (the MRZ is checked, then dropped).
func fullSubmission(t testing.TB) kyc.Submission {
	doc := passport(t)
	doc.DocumentNumber, doc.Description = "XK93017Q2", "Scanned at the Bruxelles branch"
	return kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{doc}, SocialSecurityNumber: "987-65-4329"}
}

// personal walks a user through everything that holds personal data: email,
// full profile, declarations, an authenticator, a KYC submission and an
// account. It returns the user id and the authenticator secret.
func (h *harness) personal(phone, email string) (string, string) {
	h.t.Helper()
	ctx := context.Background()
	a := h.withEmail(phone, email)
	require.NoError(h.t, h.svc.UpdateProfile(ctx, a.UserID, fullProfile))
	require.NoError(h.t, h.svc.SubmitCompliance(ctx, a.UserID, testCompliance(true)))
	enr, err := h.svc.BeginTOTP(ctx, a.UserID)
	require.NoError(h.t, err)
	code, err := totp.GenerateCode(enr.Secret, h.clock.Now())
	require.NoError(h.t, err)
	_, err = h.svc.ConfirmTOTP(ctx, a.UserID, code)
	require.NoError(h.t, err)
	_, err = h.svc.SubmitKYC(ctx, a.UserID, fullSubmission(h.t))
	require.NoError(h.t, err)
	_, err = h.svc.CreateAccount(ctx, a.UserID, AccountRequest{})
	require.NoError(h.t, err)
	return a.UserID, enr.Secret
}

// loginTOTP logs in a user with an authenticator, in the next time step.
func (h *harness) loginTOTP(username, secret string) *AuthResult {
	h.t.Helper()
	ctx := context.Background()
	h.clock.Advance(30 * time.Second)
	lr, err := h.svc.Login(ctx, LoginRequest{Username: username, Password: testPassword})
	require.NoError(h.t, err)
	code, err := totp.GenerateCode(secret, h.clock.Now())
	require.NoError(h.t, err)
	a, err := h.svc.VerifyLoginChallenge(ctx, lr.SessionID, code)
	require.NoError(h.t, err)
	return a
}

// clearForms lists the forms in which a value would betray it in a store:
// as text, and for binary values their hex and base64.
func clearForms(v string) []string {
	return []string{v, hex.EncodeToString([]byte(v)), base64.StdEncoding.EncodeToString([]byte(v))}
}

// TestNothingInClearInPostgres runs every step that takes personal data on
// PostgreSQL, then reads every column of every table with plain SQL: no
// name, birth date, address, SSN, document number or description, document
// image and TOTP secret is there in clear, in hex or in base64. An erased
// user's phone and email are gone too.
func TestNothingInClearInPostgres(t *testing.T) {
	dsn, schema := postgrestest.Schema(t)
	st := postgrestest.Open(t, dsn, schema)
	require.NoError(t, st.Migrate(context.Background()))
	h := newHarness(t, st, withAddresses(t))
	ctx := context.Background()

	userID, secret := h.personal(newPhone(), "helo@example.com")
	_, err := h.svc.RecordKYCDecision(ctx, userID, kyc.Decision{Status: kyc.StatusActive})
	require.NoError(t, err)
	require.NoError(t, h.svc.SetMetadata(ctx, "ops", userID, map[string]string{"crm": "Zanzibar-Quokka-771"}))
	_, err = h.svc.CreateAccountFor(ctx, "ops", userID, AccountRequest{Email: "custody.desk@example.com", AdditionalInfo: map[string]string{"desk": "Okapi-Lagoon-42"}})
	require.NoError(t, err)
	ia := kyc.IndividualAccountRequest{
		UserInfo: kyc.UserInfo{
			FirstName: "Ottilie", LastName: "Brandauer", Email: "ottilie@example.com", Phone: newPhone(),
			BirthDate: "1968-02-29", Nationality: "AUT", SocialSecurityNumber: "219-09-9999",
			ResidentialAddress: kyc.Address{StreetLine1: "7 Rennweg Imaginär", City: "Wien", PostalCode: "1030", Country: "AUT"},
		},
		TermsSignedAt:         "2025-12-01T10:00:00Z",
		AdditionalUserInfo:    &kyc.AdditionalUserInfo{EmploymentStatus: "employed", SourceOfFunds: "salary", ExpectedMonthlyPaymentsUSD: "0_4999", MostRecentOccupation: "Glassblower"},
		VerificationDocuments: []kyc.VerificationDocument{passport(t)},
	}
	_, err = h.svc.CreateIndividualAccount(ctx, ia)
	require.NoError(t, err)
	erasedPhone := newPhone()
	erased, _ := h.personal(erasedPhone, "erased.person@example.com")
	require.NoError(t, h.svc.EraseUser(ctx, erased))

	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	require.NoError(t, err)
	needles := map[string][]string{"TOTP secret": {secret, hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw), string(raw)}}
	for _, v := range []string{"Héloïse", "Marguerite", "Vasseur-Quintal", "1979-08-23", "42 Avenue Fictive", "Appartement 7B", "Bruxelles",
		"987-65-4329", "987654329", "XK93017Q2", "Scanned at the Bruxelles branch",
		"Ottilie", "Brandauer", "1968-02-29", "219-09-9999", "219099999", "Rennweg", "Glassblower",
		erasedPhone, erasedPhone[1:], "erased.person@example.com", "12AB34567",
		"Zanzibar-Quokka-771", "custody.desk@example.com", "Okapi-Lagoon-42"} {
		needles[v] = clearForms(v)
	}
	magic := map[string][]byte{"PNG": []byte("\x89PNG\r\n\x1a\n"), "JPEG": {0xff, 0xd8, 0xff, 0xe0}, "PDF": []byte("%PDF-")}
	for name, m := range magic {
		needles[name+" magic"] = []string{string(m), hex.EncodeToString(m), strings.TrimRight(base64.StdEncoding.EncodeToString(m), "=")[:6]}
	}

	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1`, schema)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Contains(t, tables, "data_keys")
	scanned := 0
	for _, table := range tables {
		rows, err := conn.Query(ctx, "SELECT * FROM "+pgx.Identifier{schema, table}.Sanitize())
		require.NoError(t, err)
		for rows.Next() {
			vals, err := rows.Values()
			require.NoError(t, err)
			for i, v := range vals {
				text := cellText(v)
				for what, forms := range needles {
					for _, f := range forms {
						if strings.Contains(text, f) {
							t.Errorf("%s.%s holds the %s in clear (%q)", table, rows.FieldDescriptions()[i].Name, what, f)
						}
					}
				}
				scanned++
			}
		}
		require.NoError(t, rows.Err())
	}
	t.Logf("scanned %d cells in %d tables", scanned, len(tables))

	// The values are there, sealed: the service still reads them.
	me, err := h.svc.Me(ctx, userID)
	require.NoError(t, err)
	assert.Equal(t, "Vasseur-Quintal", me.Profile.LastName)
}

// cellText renders a column value as the text a dump would show: strings
// and bytes as they are, anything else (JSON, arrays) as JSON.
func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestExportHoldsEverythingGiven exports a user who went through every
// step and finds in it every non-empty value given to the Service.
func TestExportHoldsEverythingGiven(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		phone := newPhone()
		userID, _ := h.personal(phone, "export.me@example.com")
		e, err := h.svc.ExportUser(ctx, userID)
		require.NoError(t, err)
		doc, err := json.Marshal(e)
		require.NoError(t, err)

		sub := fullSubmission(t)
		given := leaves(fullProfile)
		given = append(given, leaves(testCompliance(true))...)
		given = append(given, phone, "export.me@example.com", sub.SocialSecurityNumber)
		d := sub.VerificationDocuments[0]
		d.Document, d.MRZ = "", nil // the image is compared as bytes below; an MRZ is checked, not kept
		given = append(given, leaves(d)...)
		for _, v := range given {
			if v == "2025-12-31T10:00:00Z" {
				assert.True(t, e.Compliance.TermsAcceptedAt.Equal(time.Date(2025, 12, 31, 10, 0, 0, 0, time.UTC)))
				continue
			}
			assert.Contains(t, string(doc), jsonText(v), "the export holds %q", v)
		}
		assert.True(t, e.Compliance.PoliticallyExposed)
		require.Len(t, e.KYCSubmissions, 1)
		require.Len(t, e.KYCSubmissions[0].Documents, 1)
		image, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(passport(t).Document, "data:image/png;base64,"))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(image, e.KYCSubmissions[0].Documents[0].Content), "the document image comes back as given")
		assert.Len(t, e.Accounts, 1)
		assert.Equal(t, ExportedCredentials{PasswordSet: true, AuthenticatorEnrolled: true, RecoveryCodesRemaining: 10, Passkeys: []Passkey{}}, e.Credentials)
		assert.NotEmpty(t, e.Events)
		assert.NotContains(t, string(doc), testPassword)
	})
}

// leaves returns every non-empty string and bool-as-text in v, a struct.
func leaves(v any) []string {
	var out []string
	var walk func(reflect.Value)
	walk = func(rv reflect.Value) {
		switch rv.Kind() {
		case reflect.Pointer:
			if !rv.IsNil() {
				walk(rv.Elem())
			}
		case reflect.Struct:
			for i := range rv.NumField() {
				walk(rv.Field(i))
			}
		case reflect.Slice:
			for i := range rv.Len() {
				walk(rv.Index(i))
			}
		case reflect.String:
			if rv.String() != "" {
				out = append(out, rv.String())
			}
		}
	}
	walk(reflect.ValueOf(v))
	return out
}

// jsonText is s as it appears inside a JSON document.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestSwappedSealedValuesDoNotOpen copies one user's sealed profile into
// another's record: the Service refuses to read it instead of showing the
// first user's details.
func TestSwappedSealedValuesDoNotOpen(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a, _ := h.compliant()
		b, _ := h.compliant()
		ua, err := h.store.GetUser(ctx, a.UserID)
		require.NoError(t, err)
		ub, err := h.store.GetUser(ctx, b.UserID)
		require.NoError(t, err)
		ub.Profile = ua.Profile
		require.NoError(t, h.store.UpdateUser(ctx, ub))
		_, err = h.svc.Me(ctx, b.UserID)
		oe := requireCode(t, err, onboardkit.CodeInternal)
		assert.ErrorIs(t, oe, seal.ErrOpen)

		// Nor does a value moved to another field of the same user.
		ua.Profile = ua.Compliance
		require.NoError(t, h.store.UpdateUser(ctx, ua))
		_, err = h.svc.Me(ctx, a.UserID)
		requireCode(t, err, onboardkit.CodeInternal)
	})
}

// testKey is a key-encryption key drawn from a deterministic source.
func testKey(t testing.TB, id string, seed byte) seal.Key {
	k, _, err := seal.GenerateKey(id, newSeqReader(seed))
	require.NoError(t, err)
	return k
}

func withKeyring(ring seal.Keyring) func(*Config) { return func(c *Config) { c.Keyring = ring } }

// withRand gives a harness sharing a store with another its own ids.
func withRand(seed byte) func(*Config) { return func(c *Config) { c.Rand = newSeqReader(seed) } }

// TestKeyringRotation rotates the keyring: a service holding the old and the
// new key reads everything, RewrapDataKeys moves every data key to the new
// one, and after it a service without the old key still reads everything.
func TestKeyringRotation(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		ctx := context.Background()
		st := newStore(t)
		old, next := testKey(t, "2026-10", 21), testKey(t, "2026-11", 22)
		oldRing, err := seal.NewLocalKeyring(old)
		require.NoError(t, err)
		h1 := newHarness(t, st, withKeyring(oldRing))
		var users []string
		for range 3 {
			a, _ := h1.compliant()
			users = append(users, a.UserID)
		}

		both, err := seal.NewLocalKeyring(old, next)
		require.NoError(t, err)
		h2 := newHarness(t, st, withKeyring(both), withRand(2))
		a, _ := h2.compliant() // a new data key, wrapped by the new key
		users = append(users, a.UserID)
		for _, id := range users {
			me, err := h2.svc.Me(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, "Dupont", me.Profile.LastName)
		}

		n, err := h2.svc.RewrapDataKeys(ctx)
		require.NoError(t, err)
		assert.Equal(t, 3, n, "the three keys under the old key moved; the new user's was current")
		n, err = h2.svc.RewrapDataKeys(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "a second run has nothing to do")

		nextOnly, err := seal.NewLocalKeyring(next)
		require.NoError(t, err)
		h3 := newHarness(t, st, withKeyring(nextOnly), withRand(3))
		for _, id := range users {
			me, err := h3.svc.Me(ctx, id)
			require.NoError(t, err, "the old key is no longer needed")
			assert.Equal(t, "Dupont", me.Profile.LastName)
		}

		// Without the old key and before a rewrap, reads fail loudly.
		h4 := newHarness(t, newStore(t), withKeyring(oldRing))
		b, _ := h4.compliant()
		h5 := newHarness(t, h4.store, withKeyring(nextOnly), withRand(5))
		_, err = h5.svc.Me(ctx, b.UserID)
		oe := requireCode(t, err, onboardkit.CodeInternal)
		assert.ErrorIs(t, oe, seal.ErrOpen)
	})
}

// TestEraseUser erases a user: every record goes, the data key too, so
// sealed values kept aside (a backup) no longer open; the phone and email
// can sign up again; the user's sessions end.
func TestEraseUser(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		ctx := context.Background()
		ring := testKeyring(t, "k1", 3)
		h := newHarness(t, newStore(t), withKeyring(ring))
		phone := newPhone()
		userID, secret := h.personal(phone, "gone@example.com")
		l := h.loginTOTP(phone, secret)
		u, err := h.store.GetUser(ctx, userID)
		require.NoError(t, err)
		sub, err := h.store.LatestKYCSubmission(ctx, userID)
		require.NoError(t, err)
		backup := map[string]storage.Sealed{fieldProfile: u.Profile, fieldCompliance: u.Compliance, fieldSubmissionSSN(sub.ID): sub.SSN,
			fieldDocument(sub.Documents[0].ID, "content"): sub.Documents[0].Content}

		// A stale login cannot erase; a fresh one can.
		claims, err := h.svc.VerifyAccessToken(ctx, l.Tokens.AccessToken)
		require.NoError(t, err)
		h.clock.Advance(time.Hour)
		err = h.svc.EraseUser(NewContext(ctx, claims), userID)
		requireCode(t, err, onboardkit.CodeRecentAuthRequired)
		l = h.loginTOTP(phone, secret)
		claims, err = h.svc.VerifyAccessToken(ctx, l.Tokens.AccessToken)
		require.NoError(t, err)
		require.NoError(t, h.svc.EraseUser(NewContext(ctx, claims), userID))
		assert.Contains(t, h.eventTypes(), EventUserErased)

		_, err = h.store.GetUser(ctx, userID)
		assert.ErrorIs(t, err, storage.ErrNotFound)
		_, err = h.store.GetDataKey(ctx, userID)
		assert.ErrorIs(t, err, storage.ErrNotFound, "the data key is destroyed")
		subs, err := h.store.ListKYCSubmissions(ctx, userID)
		require.NoError(t, err)
		assert.Empty(t, subs)
		fresh := seal.New(ring, seal.Config{}, onboardkit.Runtime{})
		for field, v := range backup {
			_, err := fresh.Open(ctx, h.store, userID, field, v)
			assert.ErrorIs(t, err, seal.ErrKeyDestroyed, "the %s kept aside no longer opens", field)
		}
		_, err = h.svc.VerifyAccessToken(ctx, l.Tokens.AccessToken)
		assert.Error(t, err, "the erased user's sessions end")
		_, err = h.svc.Refresh(ctx, l.Tokens.RefreshToken)
		assert.Error(t, err)
		_, err = h.svc.Me(ctx, userID)
		requireCode(t, err, onboardkit.CodeNotFound)
		requireCode(t, h.svc.EraseUser(ctx, userID), onboardkit.CodeNotFound)

		// The audit trail stays, with ids only.
		evs, err := h.store.ListEvents(ctx, userID, 0, 0)
		require.NoError(t, err)
		var types []string
		for _, e := range evs {
			types = append(types, e.Type)
		}
		assert.Contains(t, types, EventUserRegistered)
		assert.Equal(t, EventUserErased, types[len(types)-1])
		trail, err := json.Marshal(evs)
		require.NoError(t, err)
		for _, v := range []string{phone, phone[1:], "gone@example.com", "Vasseur"} {
			assert.NotContains(t, string(trail), v)
		}

		again := h.withEmail(phone, "gone@example.com")
		assert.NotEqual(t, userID, again.UserID, "the phone and email sign up again")
	})
}

// TestErasureWithRetention keeps an erased user's KYC records under the
// officers' retention keyring until the period ends: the service cannot
// read them, the officers can, the identifiers are free at once, and
// PurgeRetained destroys them when the period is over.
func TestErasureWithRetention(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		ctx := context.Background()
		ring, officers := testKeyring(t, "svc", 3), testKeyring(t, "officers", 4)
		h := newHarness(t, newStore(t), withKeyring(ring), func(c *Config) {
			c.Retention = RetentionConfig{Period: 5 * 365 * 24 * time.Hour, Keyring: officers}
		})
		phone := newPhone()
		userID, _ := h.personal(phone, "kept@example.com")
		noKYC := h.confirmed(newPhone()) // nothing to retain: erased at once
		require.NoError(t, h.svc.EraseUser(ctx, userID))
		require.NoError(t, h.svc.EraseUser(ctx, noKYC.UserID))
		_, err := h.store.GetDataKey(ctx, noKYC.UserID)
		assert.ErrorIs(t, err, storage.ErrNotFound)

		_, err = h.svc.Me(ctx, userID)
		requireCode(t, err, onboardkit.CodeNotFound)
		u, err := h.store.GetUser(ctx, userID)
		require.NoError(t, err)
		assert.Equal(t, string(StatusErased), u.Status)
		assert.Empty(t, u.Phone+u.Email, "the identifiers are freed")
		_, err = h.store.GetTOTP(ctx, userID)
		assert.ErrorIs(t, err, storage.ErrNotFound, "credentials are erased")
		sub, err := h.store.LatestKYCSubmission(ctx, userID)
		require.NoError(t, err)

		service := seal.New(ring, seal.Config{}, onboardkit.Runtime{})
		_, err = service.Open(ctx, h.store, userID, fieldSubmissionSSN(sub.ID), sub.SSN)
		assert.ErrorIs(t, err, seal.ErrKeyDestroyed, "the service cannot read retained records")
		officer := service.WithRetention(officers)
		ssn, err := officer.Open(ctx, h.store, userID, fieldSubmissionSSN(sub.ID), sub.SSN)
		require.NoError(t, err)
		assert.Equal(t, "987-65-4329", string(ssn))

		again := h.withEmail(phone, "kept@example.com")
		assert.NotEqual(t, userID, again.UserID)

		n, err := h.svc.PurgeRetained(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "the period is not over")
		h.clock.Advance(5*365*24*time.Hour + time.Second)
		n, err = h.svc.PurgeRetained(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.Contains(t, h.eventTypes(), EventUserPurged)
		_, err = h.store.GetUser(ctx, userID)
		assert.ErrorIs(t, err, storage.ErrNotFound)
		_, err = service.WithRetention(officers).Open(ctx, h.store, userID, fieldSubmissionSSN(sub.ID), sub.SSN)
		assert.ErrorIs(t, err, seal.ErrKeyDestroyed, "after the purge nobody reads them")
		me, err := h.svc.Me(ctx, again.UserID)
		require.NoError(t, err, "the new user is untouched")
		assert.Equal(t, phone, me.PhoneNumber)
	})
}

// TestDataKeysPerUser gives each user a data key of their own, created on
// the first sealed value, and none to a user with nothing sealed.
func TestDataKeysPerUser(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		plain := h.confirmed(newPhone())
		_, err := h.store.GetDataKey(ctx, plain.UserID)
		assert.ErrorIs(t, err, storage.ErrNotFound, "nothing sealed yet")
		a, _ := h.compliant()
		b, _ := h.compliant()
		ka, err := h.store.GetDataKey(ctx, a.UserID)
		require.NoError(t, err)
		kb, err := h.store.GetDataKey(ctx, b.UserID)
		require.NoError(t, err)
		assert.NotEqual(t, ka.Wrapped, kb.Wrapped)
		ua, err := h.store.GetUser(ctx, a.UserID)
		require.NoError(t, err)
		assert.Equal(t, "dek/"+ka.ID, ua.Profile.KeyRef)
		assert.NotContains(t, string(ua.Profile.Data), "Dupont")
	})
}

// TestPasswordPolicySeesSealedProfile: the password policy compares a new
// password with the profile, which the Service opens in memory for it.
func TestPasswordPolicySeesSealedProfile(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a, _ := h.compliant() // last name Dupont, born 1985-04-12
		for _, pw := range []string{"Dupont-orbit-93-lantern", "orbit-lantern-12041985"} {
			_, err := h.svc.ChangePassword(ctx, a.UserID, testPassword, pw, pw)
			requireCode(t, err, onboardkit.CodePasswordPolicy)
		}
		_, err := h.svc.ChangePassword(ctx, a.UserID, testPassword, "orbit-Lantern-93-quartz", "orbit-Lantern-93-quartz")
		require.NoError(t, err)
	})
}
