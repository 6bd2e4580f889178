package httpapi_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/kyc/provider"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/webhook"
)

const (
	sumsubSecret = "sumsub-webhook-secret"
	onfidoToken  = "onfido-webhook-token"
)

func hmacHex(h func() hash.Hash, key string, body []byte) string {
	m := hmac.New(h, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// sumsubReviewed is an applicantReviewed notification, shaped as Sumsub
// documents it.
func sumsubReviewed(userID, correlationID, answer, rejectType string) []byte {
	review := fmt.Sprintf(`{"reviewAnswer":%q}`, answer)
	if rejectType != "" {
		review = fmt.Sprintf(`{"moderationComment":"x","rejectLabels":["FORGERY"],"reviewAnswer":%q,"reviewRejectType":%q}`, answer, rejectType)
	}
	return []byte(fmt.Sprintf(`{"applicantId":"5cb56e8e0a975a35f333cb83","inspectionId":"5cb56e8e0a975a35f333cb84","correlationId":%q,"externalUserId":%q,"levelName":"basic-kyc-level","type":"applicantReviewed","sandboxMode":false,"reviewResult":%s,"reviewStatus":"completed","createdAtMs":"2026-02-20 04:15:21.123","applicantType":"individual"}`,
		correlationID, userID, review))
}

// onfidoCompleted is a workflow_run.completed notification, shaped as
// Onfido documents it.
func onfidoCompleted(userID, runID, status string) []byte {
	return []byte(fmt.Sprintf(`{"payload":{"resource_type":"workflow_run","action":"workflow_run.completed","object":{"id":%q,"status":%q,"completed_at_iso8601":"2026-02-20T04:15:21Z","href":"https://api.eu.onfido.com/v3.6/workflow_runs/%s"},"resource":{"id":%q,"applicant_id":"7af75a3a-ba34-4aa5-9e3e-096c9f56256b","status":%q,"customer_user_id":%q}}}`,
		runID, status, runID, runID, status, userID))
}

func (e *env) notify(t *testing.T, name string, body []byte, hdr http.Header) *resp {
	t.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+"/v1/providers/"+name+"/webhook", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header = hdr
	req.Header.Set("Content-Type", "application/json")
	return e.send(req)
}

func sumsubHeaders(body []byte) http.Header {
	h := http.Header{}
	h.Set("X-Payload-Digest", hmacHex(sha512.New, sumsubSecret, body))
	h.Set("X-Payload-Digest-Alg", "HMAC_SHA512_HEX")
	return h
}

func onfidoHeaders(body []byte) http.Header {
	h := http.Header{}
	h.Set("X-SHA2-Signature", hmacHex(sha256.New, onfidoToken, body))
	return h
}

// underReview takes a new user to a KYC submission under review.
func (e *env) underReview(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	u := e.confirmedUser()
	email := "r" + u.phone[1:] + "@example.com"
	ch, err := e.svc.AddEmail(ctx, u.id, email)
	require.NoError(t, err)
	_, err = e.svc.ConfirmEmail(ctx, u.id, ch.ChallengeID, e.code(email))
	require.NoError(t, err)
	require.NoError(t, e.svc.UpdateProfile(ctx, u.id, testProfile))
	pep := false
	require.NoError(t, e.svc.SubmitCompliance(ctx, u.id, kyc.Compliance{TermsAcceptedAt: e.clock.Now().Add(-1e9).Format("2006-01-02T15:04:05Z"), PoliticallyExposed: &pep,
		Questionnaire: &kyc.AdditionalUserInfo{EmploymentStatus: "employed", SourceOfFunds: "salary", ExpectedMonthlyPaymentsUSD: "0_4999", MostRecentOccupation: "Engineer"}}))
	res, err := e.svc.SubmitKYC(ctx, u.id, kyc.Submission{VerificationDocuments: []kyc.VerificationDocument{{DocumentType: "passport", IssuingCountry: "FRA", Document: pngDataURL(t, 400, 400), DocumentNumber: "12AB34567", ExpiryDate: "2030-01-01"}}})
	require.NoError(t, err)
	require.Equal(t, kyc.StatusUnderReview, res.Status)
	return u.id
}

func withProviders(t *testing.T) func(*envConfig) {
	s, err := provider.NewSumsub(sumsubSecret)
	require.NoError(t, err)
	o, err := provider.NewOnfido(onfidoToken)
	require.NoError(t, err)
	return func(c *envConfig) { c.opts.Providers = []provider.Adapter{s, o} }
}

// TestProviderWebhooks: providers' notifications, signed as they sign
// them, decide; a wrong signature answers 401; a notification delivered
// again (or another with the same event id) decides nothing new.
func TestProviderWebhooks(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		approved := e.underReview(t)
		body := sumsubReviewed(approved, "req-1", "GREEN", "")

		bad := sumsubHeaders(body)
		bad.Set("X-Payload-Digest", hmacHex(sha512.New, "another secret", body))
		r := e.notify(t, "sumsub", body, bad)
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
		assert.Equal(t, "invalid_signature", string(r.problem(t).Code))
		r = e.notify(t, "sumsub", append(body, ' '), sumsubHeaders(body))
		require.Equal(t, http.StatusUnauthorized, r.status, "the body changed after signing")

		r = e.notify(t, "sumsub", body, sumsubHeaders(body))
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		assert.JSONEq(t, fmt.Sprintf(`{"status":"applied","userId":%q,"verificationStatus":"active"}`, approved), string(r.body))
		me, err := e.svc.Me(ctx, approved)
		require.NoError(t, err)
		assert.Equal(t, onboarding.StatusActive, me.Status)

		// The same event id again, even saying RED, decides nothing.
		replay := sumsubReviewed(approved, "req-1", "RED", "FINAL")
		r = e.notify(t, "sumsub", replay, sumsubHeaders(replay))
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		me, err = e.svc.Me(ctx, approved)
		require.NoError(t, err)
		assert.Equal(t, kyc.StatusActive, me.KYC.VerificationStatus)

		retry := e.underReview(t)
		body = sumsubReviewed(retry, "req-2", "RED", "RETRY")
		r = e.notify(t, "sumsub", body, sumsubHeaders(body))
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		assert.Contains(t, string(r.body), `"verificationStatus":"waiting_for_information"`)

		declined := e.underReview(t)
		body = onfidoCompleted(declined, "bc77c6e5-753a-4580-96a6-aaed3e5a8d19", "declined")
		r = e.notify(t, "onfido", body, onfidoHeaders(body))
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		assert.Contains(t, string(r.body), `"verificationStatus":"rejected"`)

		// Acknowledged and ignored: no decision, an unknown user.
		body = onfidoCompleted(declined, "0b1c2d3e-753a-4580-96a6-aaed3e5a8d19", "review")
		r = e.notify(t, "onfido", body, onfidoHeaders(body))
		assert.JSONEq(t, `{"status":"ignored","reason":"no_decision"}`, string(r.body))
		body = sumsubReviewed("3f1c2a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c", "req-3", "GREEN", "")
		r = e.notify(t, "sumsub", body, sumsubHeaders(body))
		assert.JSONEq(t, `{"status":"ignored","reason":"not_found"}`, string(r.body))

		r = e.notify(t, "acme", body, sumsubHeaders(body))
		assert.Equal(t, http.StatusNotFound, r.status)
		r = e.notify(t, "sumsub", []byte("[]"), sumsubHeaders([]byte("[]")))
		assert.Equal(t, http.StatusBadRequest, r.status)

		// Each decision is an event naming its provider.
		var approvedEvents int
		for _, ev := range e.events(t, approved) {
			if ev.Type == onboarding.EventKYCApproved {
				approvedEvents++
				assert.Equal(t, "sumsub", ev.Data["provider"])
			}
		}
		assert.Equal(t, 1, approvedEvents)
	}, withProviders(t))
}

// events reads a user's audit trail.
func (e *env) events(t *testing.T, userID string) []onboarding.ExportedEvent {
	page, err := e.svc.UserEvents(context.Background(), "test", userID, "", 100)
	require.NoError(t, err)
	return page.Events
}

// TestFailedWebhooksOverHTTP: an operator lists the deliveries that failed
// for good and replays one.
func TestFailedWebhooksOverHTTP(t *testing.T) {
	t.Parallel()
	up := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-up:
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	t.Cleanup(rcv.Close)
	secret, err := webhook.NewSecret(rand.Reader)
	require.NoError(t, err)
	st := storeForTests(t)
	var d *webhook.Deliverer
	e := newEnv(t, func(c *envConfig) {
		c.store = st
		d, err = webhook.New(st, webhook.Config{Endpoints: []webhook.Endpoint{{ID: "crm", URL: rcv.URL, Secret: secret}}, MaxAttempts: 1}, onboardkit.Runtime{})
		require.NoError(t, err)
		c.opts.Webhooks = d
	})
	e.confirmedUser()
	for {
		p, err := d.RunOnce(context.Background())
		require.NoError(t, err)
		if p == (webhook.Pass{}) {
			break
		}
	}
	r := e.operator("GET", "/v1/operator/webhooks/failed?endpointId=crm&limit=1", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var page struct {
		Deliveries []struct {
			EndpointID string `json:"endpointId"`
			Seq        int64  `json:"seq"`
			Type       string `json:"type"`
			LastStatus int    `json:"lastStatus"`
		}
		NextCursor string
	}
	r.json(t, &page)
	require.Len(t, page.Deliveries, 1)
	assert.Equal(t, http.StatusBadGateway, page.Deliveries[0].LastStatus)
	assert.NotEmpty(t, page.NextCursor, "more than one event failed")

	path := fmt.Sprintf("/v1/operator/webhooks/crm/deliveries/%d/replay", page.Deliveries[0].Seq)
	r = e.operator("POST", path, nil)
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	r = e.operator("POST", path, nil)
	assert.Equal(t, http.StatusConflict, r.status, "pending now")
	close(up)
	p, err := d.RunOnce(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, p.Delivered)
	r = e.operator("GET", "/v1/operator/webhooks/failed?cursor=x", nil)
	assert.Equal(t, http.StatusUnprocessableEntity, r.status)
	r = e.operator("POST", "/v1/operator/webhooks/crm/deliveries/999999/replay", nil)
	assert.Equal(t, http.StatusNotFound, r.status)
}
