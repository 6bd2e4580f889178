package postgres_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/postgres"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// TestMigration0005RefusesClearData: on a database left by migration 0004
// with a row holding personal data in a column 0005 replaces, Migrate fails
// with the operator's message and changes nothing; once the column is
// cleared deliberately, it proceeds. Rows without such data migrate.
func TestMigration0005RefusesClearData(t *testing.T) {
	t.Parallel()
	const insertUser = `INSERT INTO users (id, version, status) VALUES ($1, 1, 'registered')`
	for _, tc := range []struct {
		name, set, clear, table string
	}{
		{"ProfileFirstName", `UPDATE users SET profile = '{"first_name": "Ann"}' WHERE id = 'u1'`,
			`UPDATE users SET profile = NULL`, "users"},
		{"ProfileSSN", `UPDATE users SET profile_ssn_data = '\x313233' WHERE id = 'u1'`,
			`UPDATE users SET profile_ssn_data = NULL`, "users"},
		{"Compliance", `UPDATE users SET compliance = '{"politically_exposed": true}' WHERE id = 'u1'`,
			`UPDATE users SET compliance = NULL`, "users"},
		{"DocumentDescription", `UPDATE kyc_documents SET description = 'front page' WHERE id = 'd1'`,
			`UPDATE kyc_documents SET description = ''`, "kyc_documents"},
		{"SubmissionSSN", `UPDATE kyc_submissions SET ssn_data = '\x3037382d30352d31313230' WHERE id = 'k1'`,
			`UPDATE kyc_submissions SET ssn_data = NULL`, clearColumnsTables},
		{"DocumentContent", `UPDATE kyc_documents SET content_data = '\x89504e470d0a1a0a' WHERE id = 'd1'`,
			`UPDATE kyc_documents SET content_data = NULL`, clearColumnsTables},
		{"TOTPSecret", `INSERT INTO totp_enrollments (user_id, secret_data) VALUES ('u1', '\x4a425357')`,
			`DELETE FROM totp_enrollments WHERE secret_key_ref = ''`, clearColumnsTables},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st, exec := storeAt(t, 4)
			// Rows without personal data (an empty profile document among
			// them) and one row with some.
			exec(insertUser, "u0")
			exec(insertUser, "u1")
			exec(`UPDATE users SET compliance = '{}' WHERE id = 'u0'`)
			exec(`INSERT INTO kyc_submissions (id, user_id, attempt, status) VALUES ('k1', 'u1', 1, 'init')`)
			exec(`INSERT INTO kyc_documents (id, submission_id, position, doc_type, issuing_country, media_type)
				VALUES ('d1', 'k1', 0, 'passport', 'FRA', 'image/png')`)
			exec(tc.set)

			err := st.Migrate(ctx)
			require.Error(t, err)
			for _, want := range []string{"0005", "row(s) of " + tc.table, "onboardkit now seals personal data", "Export these rows"} {
				assert.Contains(t, err.Error(), want)
			}
			var pe *pgconn.PgError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "55000", pe.Code)
			assertSchemaVersion(t, st, 4)
			var n int
			require.NoError(t, st.Pool().QueryRow(ctx, `SELECT count(*) FROM users WHERE profile IS NOT NULL
				OR compliance IS NOT NULL OR profile_ssn_data IS NOT NULL`).Scan(&n), "the old columns are still there")
			// u0's empty compliance document, and u1's value when in users.
			assert.Equal(t, 1+btoi(tc.table == "users"), n, "the rows are as they were")

			exec(tc.clear) // the operator's deliberate choice
			require.NoError(t, st.Migrate(ctx))
			assertSchemaVersion(t, st, postgres.SchemaVersion())
			for _, id := range []string{"u0", "u1"} {
				u, err := st.GetUser(ctx, id)
				require.NoError(t, err)
				assert.True(t, u.Profile.IsZero() && u.Compliance.IsZero(), "user %s: %+v", id, u)
			}
			sub, err := st.LatestKYCSubmission(ctx, "u1")
			require.NoError(t, err)
			require.Len(t, sub.Documents, 1)
			assert.True(t, sub.Documents[0].Description.IsZero())
		})
	}
}

// storeAt returns a store on a fresh schema migrated through version only,
// as an older release left it, and a function running a statement on it
// that fails the test on an error.
func storeAt(t *testing.T, version int) (*postgres.Store, func(sql string, args ...any)) {
	t.Helper()
	dsn, schema := postgrestest.Schema(t)
	st := postgrestest.Open(t, dsn, schema)
	require.NoError(t, st.MigrateThrough(context.Background(), version))
	return st, func(sql string, args ...any) {
		t.Helper()
		_, err := st.Pool().Exec(context.Background(), sql, args...)
		require.NoError(t, err, sql)
	}
}

// clearColumnsTables names the tables whose sealed columns stay, in the
// refusal of values stored in clear there.
const clearColumnsTables = "kyc_submissions, kyc_documents or totp_enrollments"

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// assertSchemaVersion checks the applied migrations: 1 to version.
func assertSchemaVersion(t *testing.T, st *postgres.Store, version int) {
	t.Helper()
	var n, max int
	require.NoError(t, st.Pool().QueryRow(context.Background(),
		`SELECT count(*), coalesce(max(version), 0) FROM onboardkit_schema_migrations`).Scan(&n, &max))
	assert.Equal(t, []int{version, version}, []int{n, max}, "applied migrations (count, newest)")
	var exists bool
	require.NoError(t, st.Pool().QueryRow(context.Background(),
		`SELECT to_regclass('data_keys') IS NOT NULL`).Scan(&exists))
	assert.Equal(t, version >= 5, exists, "the data_keys table exists")
}

// The clear values TestSealedAtRest seals.
var (
	clearName    = []byte("Annabel Examplestone")
	clearStreet  = []byte("1 rue de la Paix")
	clearBirth   = []byte("1990-04-01")
	clearSSN     = []byte("078-05-1120")
	clearNumber  = []byte("12AB34567")
	clearPNG     = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")
	clearJPEG    = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")
	clearPDF     = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3")
	clearDesc    = []byte("front page of the passport")
	clearSecret  = []byte("JBSWY3DPEHPK3PXP")
	clearMeta    = []byte(`{"crm_id":"C-1029"}`)
	clearEmail   = []byte("annabel.examplestone@example.org")
	clearInfo    = []byte(`{"desk":"Paris"}`)
	clearProfile = bytes.Join([][]byte{clearName, clearStreet, clearBirth, clearSSN}, []byte("|"))
)

// newSealer returns a Sealer on a keyring of one key-encryption key drawn
// for the test.
func newSealer(t *testing.T) *seal.Sealer {
	t.Helper()
	k, _, err := seal.GenerateKey("kek-1", nil)
	require.NoError(t, err)
	ring, err := seal.NewLocalKeyring(k)
	require.NoError(t, err)
	return seal.New(ring, seal.Config{}, onboardkit.Runtime{})
}

// sealAs seals v as the user's field with sl, keeping the data key in st.
func sealAs(t *testing.T, st *postgres.Store, sl *seal.Sealer, userID, field string, v []byte) storage.Sealed {
	t.Helper()
	s, err := sl.Seal(context.Background(), st, userID, field, v)
	require.NoError(t, err)
	return s
}

// sealedRecords stores a user with every personal value sealed by a real
// Sealer (its data keys in st) and returns it with its KYC submission, TOTP
// enrollment and account as stored.
func sealedRecords(t *testing.T, st *postgres.Store, sl *seal.Sealer) (*storage.User, *storage.KYCSubmission, *storage.TOTPEnrollment, *storage.Account) {
	t.Helper()
	ctx := context.Background()
	u := newUser()
	sealed := func(field string, v []byte) storage.Sealed { return sealAs(t, st, sl, u.ID, field, v) }
	u.Profile, u.Compliance = sealed("profile", clearProfile), sealed("compliance", clearName)
	u.Metadata = sealed("metadata", clearMeta)
	require.NoError(t, st.CreateUser(ctx, u))
	a := &storage.Account{ID: newID("acct"), UserID: u.ID, Email: sealed("account.email", clearEmail),
		Info: sealed("account.info", clearInfo), CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, st.CreateAccount(ctx, a))
	sub := &storage.KYCSubmission{ID: newID("kyc"), UserID: u.ID, Attempt: 1, Status: "under_review",
		SSN: sealed("kyc.ssn", clearSSN), CreatedAt: t0, UpdatedAt: t0}
	for i, content := range [][]byte{clearPNG, clearJPEG, clearPDF} {
		sub.Documents = append(sub.Documents, storage.KYCDocument{
			ID: newID("doc"), SubmissionID: sub.ID, Type: "passport", IssuingCountry: "FRA", MediaType: "image/png",
			Number: sealed("kyc.document.number", clearNumber), Content: sealed("kyc.document.content", content),
			Description: sealed("kyc.document.description", clearDesc), CreatedAt: t0.Add(time.Duration(i) * time.Second),
		})
	}
	require.NoError(t, st.CreateKYCSubmission(ctx, sub))
	e := &storage.TOTPEnrollment{UserID: u.ID, Secret: sealed("totp.secret", clearSecret), CreatedAt: t0}
	require.NoError(t, st.PutTOTP(ctx, e))
	return u, sub, e, a
}

// TestSealedAtRest: the rows of a user whose personal values are sealed,
// read with raw SQL, hold none of the clear bytes (neither as text nor in
// bytea), and the values read back through the Store are the sealed bytes
// as given, which open.
func TestSealedAtRest(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	sl := newSealer(t)
	u, sub, e, a := sealedRecords(t, st, sl)

	var rows []string
	for _, q := range []string{
		`SELECT t::text FROM users t WHERE id = $1`,
		`SELECT t::text FROM kyc_submissions t WHERE user_id = $1`,
		`SELECT t::text FROM kyc_documents t JOIN kyc_submissions s ON s.id = t.submission_id WHERE s.user_id = $1`,
		`SELECT t::text FROM totp_enrollments t WHERE user_id = $1`,
		`SELECT t::text FROM data_keys t WHERE user_id = $1`,
		`SELECT t::text FROM accounts t WHERE user_id = $1`,
	} {
		r, err := st.Pool().Query(ctx, q, u.ID)
		require.NoError(t, err)
		for r.Next() {
			var row string
			require.NoError(t, r.Scan(&row))
			rows = append(rows, row)
		}
		require.NoError(t, r.Err())
	}
	require.Len(t, rows, 1+1+3+1+1+1)
	all := strings.ToLower(strings.Join(rows, "\n"))
	for _, clear := range [][]byte{clearName, clearStreet, clearBirth, clearSSN, clearNumber, clearPNG[:4],
		clearJPEG[:3], clearPDF[:5], clearDesc, clearSecret, clearMeta, clearEmail, clearInfo} {
		assert.NotContains(t, all, strings.ToLower(string(clear)), "clear text in a row")
		assert.NotContains(t, all, hex.EncodeToString(clear), "clear bytes in a bytea of a row")
	}

	gotUser, err := st.GetUser(ctx, u.ID)
	require.NoError(t, err)
	gotSub, err := st.LatestKYCSubmission(ctx, u.ID)
	require.NoError(t, err)
	gotTOTP, err := st.GetTOTP(ctx, u.ID)
	require.NoError(t, err)
	gotAcct, err := st.GetAccount(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, []any{u.Profile, u.Compliance, u.Metadata, sub.SSN, sub.Documents, e.Secret, a.Email, a.Info},
		[]any{gotUser.Profile, gotUser.Compliance, gotUser.Metadata, gotSub.SSN, gotSub.Documents, gotTOTP.Secret,
			gotAcct.Email, gotAcct.Info}, "sealed bytes as given")
	opens := func(field string, v storage.Sealed, want []byte) {
		t.Helper()
		got, err := sl.Open(ctx, st, u.ID, field, v)
		require.NoError(t, err, field)
		assert.Equal(t, want, got, field)
	}
	opens("profile", gotUser.Profile, clearProfile)
	opens("kyc.ssn", gotSub.SSN, clearSSN)
	opens("kyc.document.content", gotSub.Documents[2].Content, clearPDF)
	opens("kyc.document.description", gotSub.Documents[0].Description, clearDesc)
	opens("totp.secret", gotTOTP.Secret, clearSecret)
	opens("metadata", gotUser.Metadata, clearMeta)
	opens("account.email", gotAcct.Email, clearEmail)
	opens("account.info", gotAcct.Info, clearInfo)
}
