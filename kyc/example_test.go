package kyc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
)

// fixedClock is the "now" of the examples.
var fixedClock = onboardkit.ClockFunc(func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })

// zeroReader makes document ids deterministic in the examples.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// Validate an integrator's individual-account request and print every field
// problem with its JSON path and code.
func ExampleValidator_ValidateIndividualAccount() {
	v, err := kyc.NewValidator(kyc.Config{}, onboardkit.Runtime{Clock: fixedClock})
	if err != nil {
		panic(err)
	}
	body := `{"userInfo":{"firstName":"Jean","lastName":"Dupont","email":"jean.dupont@example",
	  "phone":"+3361412","birthDate":"2010-04-12","nationality":"FR",
	  "residentialAddress":{"streetLine1":"10 rue de Rivoli","city":"Paris","postalCode":"7500","country":"FRA"}},
	  "termsSignedAt":"2026-01-01T10:00:00Z",
	  "additionalUserInfo":{"employmentStatus":"employed","sourceOfFunds":"lottery","expectedMonthlyPaymentsUsd":"0_4999","mostRecentOccupation":"Engineer"},
	  "verificationDocuments":[{"documentType":"passport","issuingCountry":"FRA","document":"data:image/png;base64,iVBORw0KGgo=","documentNumber":"12AB"}]}`
	var req kyc.IndividualAccountRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		panic(err)
	}
	err = v.ValidateIndividualAccount(req)
	var e *onboardkit.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code)
		for _, f := range e.Fields {
			fmt.Printf("%s: %s\n", f.Field, f.Code)
		}
	}
	// Output:
	// validation
	// userInfo.email: invalid_email
	// userInfo.phone: invalid_phone
	// userInfo.birthDate: too_young
	// userInfo.nationality: invalid_country
	// userInfo.residentialAddress.postalCode: invalid_postal_code
	// additionalUserInfo.sourceOfFunds: invalid_enum
}

// Evaluate a KYC submission: structure is valid, so the content problems of
// the document are findings and the missing identity document makes the
// status waiting_for_information.
func ExampleValidator_Evaluate() {
	v, err := kyc.NewValidator(kyc.Config{}, onboardkit.Runtime{Clock: fixedClock, Rand: zeroReader{}})
	if err != nil {
		panic(err)
	}
	sub := kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{{
		DocumentType:   kyc.DocumentPassport,
		IssuingCountry: "FRA",
		Document:       "data:image/jpeg;base64,JVBERi0xLjQK", // a PDF declared as JPEG
		DocumentNumber: "12AB34567",
		ExpiryDate:     "2025-06-30",
	}}}
	if err := v.ValidateSubmission(sub); err != nil {
		panic(err)
	}
	res, err := v.Evaluate(context.Background(), kyc.EvaluateInput{
		BirthDate: "1985-04-12", Country: "FRA", Documents: sub.VerificationDocuments,
	})
	if err != nil {
		panic(err)
	}
	out, _ := json.MarshalIndent(res, "", "  ")
	fmt.Println(string(out))
	// Output:
	// {
	//   "verificationStatus": "waiting_for_information",
	//   "missingDocuments": [
	//     "identity_document"
	//   ],
	//   "missingFields": [],
	//   "verificationDocuments": [
	//     {
	//       "documentId": "00000000-0000-4000-8000-000000000000",
	//       "documentType": "passport",
	//       "warnings": [],
	//       "errors": [
	//         {
	//           "code": "content_mismatch",
	//           "message": "The document content does not match its declared media type."
	//         },
	//         {
	//           "code": "expired",
	//           "message": "The document has expired."
	//         }
	//       ]
	//     }
	//   ]
	// }
}

// The verification status machine.
func ExampleTransition() {
	fmt.Println(kyc.Transition(kyc.StatusUnderReview, kyc.StatusActive))
	err := kyc.Transition(kyc.StatusRejected, kyc.StatusUnderReview)
	fmt.Println(errors.Is(err, onboardkit.ErrInvalidTransition))
	fmt.Println(err)
	for _, s := range kyc.Statuses() {
		fmt.Println(s, "→", kyc.Transitions()[s])
	}
	// Output:
	// <nil>
	// true
	// invalid_transition: The verification status cannot change from "rejected" to "under_review".
	// not_started → [init]
	// init → [under_review waiting_for_information]
	// under_review → [active rejected waiting_for_information]
	// waiting_for_information → [init under_review]
	// active → [inactive]
	// rejected → []
	// inactive → [under_review]
}

// A reviewer's decision arriving through the integrator route.
func ExampleCheckDecision() {
	d := kyc.Decision{Status: kyc.StatusWaitingForInformation, MissingDocuments: []string{kyc.MissingSelfie}}
	fmt.Println(kyc.CheckDecision(kyc.StatusUnderReview, d))
	fmt.Println(kyc.CheckDecision(kyc.StatusActive, d))
	fmt.Println(kyc.CheckDecision(kyc.StatusUnderReview, kyc.Decision{Status: "approved"}))
	// Output:
	// <nil>
	// invalid_transition: The verification status cannot change from "active" to "waiting_for_information".
	// validation: The input is not valid. (verificationStatus: invalid_enum)
}

// Tiers and their limits.
func ExampleTierFor() {
	v, _ := kyc.NewValidator(kyc.Config{}, onboardkit.Runtime{})
	for _, st := range []kyc.Status{kyc.StatusUnderReview, kyc.StatusActive} {
		tier := kyc.TierFor(true, true, st)
		fmt.Printf("%s: %s %+v\n", st, tier, v.Limits(tier))
	}
	// Output:
	// under_review: KYC_0 {DailyDeposit:0 MonthlyDeposit:0}
	// active: KYC_1 {DailyDeposit:100000 MonthlyDeposit:500000}
}

func ExampleMaskSSN() {
	fmt.Println(kyc.MaskSSN("123-45-6789"))
	fmt.Println(kyc.MaskSSN("1850475116001"))
	// Output:
	// ***-**-6789
	// *********6001
}
