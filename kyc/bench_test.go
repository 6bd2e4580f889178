package kyc

import (
	"context"
	"testing"
)

// BenchmarkValidateSeed validates the seed individual-account payload
// without documents.
func BenchmarkValidateSeed(b *testing.B) {
	v := newTestValidator(b)
	r := seedRequest(b)
	r.VerificationDocuments = nil
	if err := v.ValidateIndividualAccount(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.ValidateIndividualAccount(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateSeedInvalid measures the error path (five problems).
func BenchmarkValidateSeedInvalid(b *testing.B) {
	v := newTestValidator(b)
	r := seedRequest(b)
	r.VerificationDocuments = nil
	r.UserInfo.FirstName, r.UserInfo.Phone, r.UserInfo.ResidentialAddress.PostalCode = "", "123", "ABC"
	r.UserInfo.BirthDate, r.TermsSignedAt = "2020-01-01", "x"
	b.ReportAllocs()
	for b.Loop() {
		if err := v.ValidateIndividualAccount(r); err == nil {
			b.Fatal("valid")
		}
	}
}

// BenchmarkValidateAndEvaluate1MiBPNG validates the seed with one 1 MiB PNG
// passport and evaluates it (decode, sniff, dimensions, rules).
func BenchmarkValidateAndEvaluate1MiBPNG(b *testing.B) {
	v := newTestValidator(b)
	r := seedRequest(b)
	img := pngBytes(b, 512, 512, true)
	for len(img) < 1<<20 { // pad to exactly 1 MiB after IEND (still a valid PNG prefix)
		img = append(img, 0)
	}
	img = img[:1<<20]
	r.VerificationDocuments[0].Document = dataURL("image/png", img)
	ctx := context.Background()
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if err := v.ValidateIndividualAccount(r); err != nil {
			b.Fatal(err)
		}
		res, err := v.Evaluate(ctx, r.EvaluateInput())
		if err != nil || res.Status != StatusUnderReview || !res.Documents[0].OK() {
			b.Fatal(err, res.Documents[0].Errors)
		}
	}
}
