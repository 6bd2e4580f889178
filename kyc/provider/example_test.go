package provider_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/onboardkit/onboardkit/kyc/provider"
)

// hexHMAC stands for the provider: it signs body with key.
func hexHMAC(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// A Sumsub applicantReviewed notification, verified then read.
func Example_sumsub() {
	adapter, err := provider.NewSumsub("the webhook's secret key")
	if err != nil {
		panic(err)
	}
	body := []byte(`{"applicantId":"5cb744200a975a67ed1798a4","correlationId":"req-fa94263f-0b23-42d7-9393-ab10b28ef42d",` +
		`"externalUserId":"3f1c2a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c","levelName":"id-and-liveness","type":"applicantReviewed",` +
		`"reviewResult":{"moderationComment":"Please upload an original photo.","reviewAnswer":"RED",` +
		`"rejectLabels":["SCREENSHOTS","BAD_SELFIE"],"reviewRejectType":"RETRY"},` +
		`"reviewStatus":"completed","createdAtMs":"2020-02-21 13:23:19.001","applicantType":"individual"}`)
	header := http.Header{}
	header.Set(provider.SumsubDigestHeader, hexHMAC("the webhook's secret key", body))
	header.Set(provider.SumsubDigestAlgHeader, string(provider.SumsubHMACSHA256))

	if err := adapter.Verify(header, body); err != nil {
		fmt.Println("refused:", err) // the handler answers 401
		return
	}
	n, err := adapter.Parse(body)
	if err != nil {
		fmt.Println("unreadable:", err) // the handler answers 400
		return
	}
	fmt.Println(n.Type, n.EventID)
	fmt.Println(n.UserID, n.Decision.Status, n.Decision.MissingDocuments)
	fmt.Println(n.Decision.Reason)

	fmt.Println(adapter.Verify(header, append(body, ' ')))
	// Output:
	// applicantReviewed applicantReviewed:req-fa94263f-0b23-42d7-9393-ab10b28ef42d
	// 3f1c2a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c waiting_for_information [selfie]
	// The identity verification provider asked for new documents.
	// provider: the signature does not verify
}

// An Onfido workflow_run.completed notification, verified then read.
func Example_onfido() {
	adapter, err := provider.NewOnfido("the webhook's token")
	if err != nil {
		panic(err)
	}
	body := []byte(`{"payload":{"resource_type":"workflow_run","action":"workflow_run.completed",` +
		`"object":{"id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19","status":"approved","completed_at_iso8601":"2024-07-10T12:55:21Z",` +
		`"href":"https://api.eu.onfido.com/v3.6/workflow_runs/bc77c6e5-753a-4580-96a6-aaed3e5a8d19"},` +
		`"resource":{"id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19","status":"approved",` +
		`"customer_user_id":"3f1c2a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c"}}}`)
	header := http.Header{}
	header.Set(provider.OnfidoSignatureHeader, hexHMAC("the webhook's token", body))

	if err := adapter.Verify(header, body); err != nil {
		fmt.Println("refused:", err)
		return
	}
	n, err := adapter.Parse(body)
	if err != nil {
		fmt.Println("unreadable:", err)
		return
	}
	fmt.Println(n.Type, n.EventID)
	fmt.Println(n.UserID, n.Decision.Status)
	// Output:
	// workflow_run.completed workflow_run.completed:bc77c6e5-753a-4580-96a6-aaed3e5a8d19:approved
	// 3f1c2a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c active
}
