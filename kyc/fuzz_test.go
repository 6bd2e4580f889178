package kyc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit"
)

func FuzzParseDataURL(f *testing.F) {
	for _, s := range []string{
		"data:image/png;base64,iVBORw0KGgo=",
		"data:image/png;base64,QQ==",
		"data:a/b;base64,QUJD\nQUJD",
		"data:;base64,",
		"DATA:IMAGE/JPEG;BASE64,/9j/",
		"data:image/png;base64,QQ==QQ==",
		"data:text/plain,hello",
		"data:image/png;base64," + strings.Repeat("A", 5000),
		"",
	} {
		f.Add(s)
	}
	const max = 4096
	f.Fuzz(func(t *testing.T, s string) {
		mt, data, code := parseDataURL(s, max)
		if code != "" {
			if data != nil {
				t.Fatalf("data with code %s", code)
			}
			return
		}
		if len(data) > max || len(data) == 0 {
			t.Fatalf("decoded %d bytes", len(data))
		}
		if mt != strings.ToLower(mt) || !isMediaType(mt) {
			t.Fatalf("media type %q", mt)
		}
		// Strict: the accepted text is exactly the canonical encoding.
		enc := s[strings.IndexByte(s, ',')+1:]
		if base64.StdEncoding.EncodeToString(data) != enc {
			t.Fatalf("non-canonical base64 accepted: %q", enc)
		}
	})
}

// FuzzValidate feeds arbitrary JSON to the whole validation and evaluation:
// no panic, and every failure is a well-formed validation error.
func FuzzValidate(f *testing.F) {
	f.Add(strings.Replace(seedJSON, "data:image/png;base64,...", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", 1))
	f.Add(seedJSON)
	f.Add(`{"userInfo":{"birthDate":"2000-02-29","phone":"+1","residentialAddress":{"country":"CAN","postalCode":"k1a0b1"}},"verificationDocuments":[{"documentType":"id_card","mrz":["I<FRA","",""]}]}`)
	f.Add(`{"verificationDocuments":[{"documentType":"passport","issuingCountry":"DEU","documentNumber":"C01X00T47","document":"data:image/webp;base64,UklGRiAAAABXRUJQVlA4WAoAAAA=","mrz":["P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<","C01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4"]}]}`)
	f.Add(`{"userInfo":{"firstName":"\u0301","lastName":"'","email":"@","birthDate":"0000-00-00","nationality":"ZZZ"},"termsSignedAt":"9999-12-31T23:59:59Z"}`)
	v, err := NewValidator(Config{MaxDocumentSize: 64 << 10}, onboardkit.Runtime{Rand: &seqReader{}})
	if err != nil {
		f.Fatal(err)
	}
	checkErr := func(t *testing.T, err error) {
		if err == nil {
			return
		}
		var e *onboardkit.Error
		if !errors.As(err, &e) || e.Code != onboardkit.CodeValidation || len(e.Fields) == 0 {
			t.Fatalf("unexpected error %v", err)
		}
		for _, fe := range e.Fields {
			if fe.Field == "" || fe.Code == "" || fe.Message == "" {
				t.Fatalf("incomplete field error %+v", fe)
			}
		}
	}
	f.Fuzz(func(t *testing.T, body string) {
		var r IndividualAccountRequest
		if json.Unmarshal([]byte(body), &r) != nil {
			return
		}
		checkErr(t, v.ValidateIndividualAccount(r))
		checkErr(t, v.ValidateProfile(r.UserInfo.Profile()))
		checkErr(t, v.ValidateSubmission(Submission{VerificationDocuments: r.VerificationDocuments, SocialSecurityNumber: r.UserInfo.SocialSecurityNumber}))
		res, err := v.Evaluate(context.Background(), r.EvaluateInput())
		checkErr(t, err)
		if err == nil {
			if res.Status != StatusUnderReview && res.Status != StatusWaitingForInformation {
				t.Fatalf("status %s", res.Status)
			}
			if len(res.Documents) != len(r.VerificationDocuments) {
				t.Fatal("document count")
			}
			d := DevDecision(res)
			if d.Validate() != nil {
				t.Fatalf("dev decision invalid: %+v", d)
			}
		}
		_ = MaskSSN(r.UserInfo.SocialSecurityNumber)
		_ = r.LogValue().Resolve()
	})
}

// FuzzCheckMRZ runs the MRZ checks on lines of the right lengths but any
// content (structural validation normally filters the charset first).
func FuzzCheckMRZ(f *testing.F) {
	f.Add("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10", "")
	f.Add("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
	f.Add("I<FRAABC123456<789X<<<<<<<<<<<", "", "")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, lines := range [][]string{{a, b}, {a, b, c}} {
			d := VerificationDocument{DocumentType: DocumentPassport, IssuingCountry: "FRA", ExpiryDate: "2030-01-01", MRZ: lines}
			_ = checkMRZ(&d, "X", testNow)
		}
		fit := func(s string, n int) string {
			for len(s) < n {
				s += "<"
			}
			return s[:n]
		}
		d := VerificationDocument{MRZ: []string{fit(a, 44), fit(b, 44)}}
		_ = checkMRZ(&d, NormalizeDocumentNumber(c), testNow)
		d.MRZ = []string{fit(a, 30), fit(b, 30), fit(c, 30)}
		_ = checkMRZ(&d, "", testNow)
		_ = MRZCheckDigit(a)
	})
}
