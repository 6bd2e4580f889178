package kyc

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMaskSSN(t *testing.T) {
	for in, want := range map[string]string{
		"123-45-6789":           "***-**-6789",
		"123456789":             "*****6789",
		"1 85 04 75 116 001 42": "* ** ** ** *** *01 42",
		"AB123456":              "****3456",
		"12345":                 "***45",
		"1234567":               "*****67",
		"1234":                  "****",
		"":                      "",
		"12é45-6789":            "*****-6789",
	} {
		assert.Equal(t, want, MaskSSN(in), in)
	}
}

func TestMaskHelpers(t *testing.T) {
	assert.Equal(t, "j***@example.com", maskEmail("jean.dupont@example.com"))
	assert.Equal(t, "***", maskEmail("nope"))
	assert.Equal(t, "+33*******10", maskPhone("+33614125910"))
	assert.Equal(t, "***", maskPhone("+33"))
}

// logJSON logs v through slog's JSON and text handlers and returns both.
func logJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("msg", "value", v)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("msg", "value", v)
	return buf.String()
}

func TestLogValueRedactsPII(t *testing.T) {
	r := seedRequest(t)
	r.VerificationDocuments[0].MRZ = td3("FRA", "12AB34567", "850412", "300101")
	r.UserInfo.ProfilePictureURL = "https://cdn.example/jean.png"
	b64 := strings.TrimPrefix(png400, "data:image/png;base64,")
	secrets := []string{
		"Jean", "Dupont", "jean.dupont", "614125", "1985", "Rivoli", "75001", "6789", "123-45",
		"12AB34567", "P<FRA", b64[:40], "cdn.example",
	}
	check := func(name, out string) {
		t.Helper()
		for _, s := range secrets {
			assert.NotContains(t, out, s, "%s leaks %q", name, s)
		}
	}

	out := logJSON(t, r)
	check("IndividualAccountRequest", out)
	assert.Contains(t, out, `"nationality":"FRA"`)
	assert.Contains(t, out, `"documentType":"passport"`)
	assert.Contains(t, out, `"mediaType":"image/png"`)
	assert.Contains(t, out, `"hasSSN":true`)
	assert.Contains(t, out, `j***@example.com`)

	check("UserInfo", logJSON(t, r.UserInfo))
	check("Profile", logJSON(t, r.UserInfo.Profile()))
	check("VerificationDocument", logJSON(t, r.VerificationDocuments[0]))
	sub := Submission{VerificationDocuments: r.VerificationDocuments, SocialSecurityNumber: "123-45-6789"}
	out = logJSON(t, sub)
	check("Submission", out)
	assert.Contains(t, out, `"issuingCountry":"FRA"`)

	v := newTestValidator(t)
	res, err := v.Evaluate(context.Background(), r.EvaluateInput())
	require.NoError(t, err)
	require.NotEmpty(t, res.Documents[0].Content)
	raw := base64.StdEncoding.EncodeToString(res.Documents[0].Content[:30])
	out = logJSON(t, res.Documents[0])
	check("DocumentResult", out)
	assert.NotContains(t, out, raw)
	out = logJSON(t, *res)
	check("Result", out)
	assert.Contains(t, out, "under_review")
	out = logJSON(t, Review{UserID: "u1", SubmissionID: "s1", Result: res})
	check("Review", out)
	assert.Contains(t, out, `"userId":"u1"`)
}

func TestLogValueDocumentOddInput(t *testing.T) {
	for _, d := range []string{"", "data:", "data:image/png", "data:;base64,", "garbage", "DATA:IMAGE/PNG;base64,AAAA"} {
		out := logJSON(t, VerificationDocument{Document: d})
		assert.NotContains(t, out, "AAAA")
	}
	assert.Contains(t, logJSON(t, VerificationDocument{Document: "DATA:IMAGE/PNG;base64,AAAA"}), "image/png")
}

func TestComplianceLogValue(t *testing.T) {
	yes := true
	c := Compliance{TermsAcceptedAt: "2026-01-01T10:00:00Z", TermsVersion: "v3", PoliticallyExposed: &yes,
		Questionnaire: &AdditionalUserInfo{EmploymentStatus: "employed", SourceOfFunds: "inheritance"}}
	out := logJSON(t, c)
	assert.Contains(t, out, `"termsVersion":"v3"`)
	assert.Contains(t, out, `"hasQuestionnaire":true`)
	assert.NotContains(t, out, "inheritance")
	assert.NotContains(t, out, "politicallyExposed")
}
