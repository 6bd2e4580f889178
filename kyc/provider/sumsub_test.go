package provider_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/onboardkit/onboardkit/kyc"
)

func TestSumsubParse(t *testing.T) {
	signed := func(body []byte) http.Header {
		return sumsubHeader("HMAC_SHA256_HEX", sha256.New, testSecret, body)
	}
	derived := sha256.Sum256([]byte("5cb56e8e0a975a35f333cb83\ncompleted\n2021-05-14 16:00:25.032"))
	runParseCases(t, newSumsub(t), []parseCase{
		{
			file: "sumsub/applicantReviewed_green.json", header: signed,
			eventID: "applicantReviewed:req-a260b669-4f14-4bb5-a4c5-ac0218acb9a4", typ: "applicantReviewed", userID: testUser,
			decision: &kyc.Decision{Status: kyc.StatusActive},
		},
		{
			file: "sumsub/applicantReviewed_red_retry.json", header: signed,
			eventID: "applicantReviewed:req-fa94263f-0b23-42d7-9393-ab10b28ef42d", typ: "applicantReviewed", userID: testUser,
			decision: &kyc.Decision{
				Status:           kyc.StatusWaitingForInformation,
				Reason:           "The identity verification provider asked for new documents.",
				MissingDocuments: []string{kyc.MissingProofOfAddress, kyc.MissingIdentityDocument},
			},
		},
		{
			file: "sumsub/applicantReviewed_red_final.json", header: signed,
			eventID: "applicantReviewed:req-0c2d1e7a-5b8f-4a39-9e61-7d4c3b2a1f09", typ: "applicantReviewed", userID: testUser,
			decision: &kyc.Decision{Status: kyc.StatusRejected},
		},
		{
			file: "sumsub/applicantReviewed_no_correlation.json", header: signed,
			eventID: "applicantReviewed:sha256:" + hex.EncodeToString(derived[:]), typ: "applicantReviewed", userID: testUser,
			decision: &kyc.Decision{Status: kyc.StatusActive},
		},
		{
			file: "sumsub/applicantReviewed_company.json", header: signed,
			eventID: "applicantReviewed:req-2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901", typ: "applicantReviewed", userID: testUser,
		},
		{
			file: "sumsub/applicantPending.json", header: signed,
			eventID: "applicantPending:req-4b7a9c11-2d3e-4f50-8a6b-7c8d9e0f1a2b", typ: "applicantPending", userID: testUser,
		},
		{
			file: "sumsub/applicantCreated.json", header: signed,
			eventID: "applicantCreated:req-8e2a7f0c-1b3d-4c5e-9f6a-0b1c2d3e4f5a", typ: "applicantCreated", userID: testUser,
		},
	})
}
