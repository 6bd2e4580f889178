package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc/provider"
	"github.com/onboardkit/onboardkit/storage"
)

// Webhooks is what the [operator] webhook routes need of a deliverer
// (*webhook.Deliverer implements it).
type Webhooks interface {
	Failed(ctx context.Context, endpointID string, after int64, limit int) ([]*storage.Delivery, error)
	Replay(ctx context.Context, endpointID string, seq int64) error
}

// providerAnswer is the answer to a provider's notification: applied, or
// acknowledged and ignored (a type or result that decides nothing, a user
// unknown or not in review), with the decision's outcome when applied.
type providerAnswer struct {
	Status             string `json:"status"` // "applied" or "ignored"
	Reason             string `json:"reason,omitempty"`
	UserID             string `json:"userId,omitempty"`
	VerificationStatus string `json:"verificationStatus,omitempty"`
}

// providerWebhook serves POST /v1/providers/{provider}/webhook: the
// adapter verifies the signature over the raw body and reads the
// notification; its decision applies once per provider event id.
func (a *api) providerWebhook(w http.ResponseWriter, r *http.Request) {
	ad, ok := a.providers[r.PathValue("provider")]
	if !ok {
		WriteError(w, &onboardkit.Error{Code: onboardkit.CodeNotFound, Message: "No such provider."})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, provider.MaxBodyBytes+1))
	if err != nil || len(body) > provider.MaxBodyBytes {
		WriteError(w, httpError(CodeMalformedRequest, "The notification could not be read."))
		return
	}
	if err := ad.Verify(r.Header, body); err != nil {
		w.Header().Set("WWW-Authenticate", `HMAC realm="`+ad.Name()+`"`)
		WriteError(w, &onboardkit.Error{Code: onboardkit.CodeInvalidSignature, Message: "The notification's signature does not verify."})
		return
	}
	n, err := ad.Parse(body)
	if err != nil {
		WriteError(w, httpError(CodeMalformedRequest, "The notification could not be read."))
		return
	}
	if n.Decision == nil {
		writeJSON(w, http.StatusOK, providerAnswer{Status: "ignored", Reason: "no_decision"})
		return
	}
	res, err := a.svc.RecordProviderDecision(r.Context(), ad.Name(), n.EventID, n.UserID, *n.Decision)
	var oe *onboardkit.Error
	if errors.As(err, &oe) && (oe.Code == onboardkit.CodeNotFound || oe.Code == onboardkit.CodeInvalidTransition || oe.Code == onboardkit.CodeValidation) {
		// Retrying would not change the answer: acknowledge it.
		a.log.WarnContext(r.Context(), "httpapi: provider decision not applied",
			slog.String("provider", ad.Name()), slog.String("event_type", n.Type), slog.String("code", string(oe.Code)))
		writeJSON(w, http.StatusOK, providerAnswer{Status: "ignored", Reason: string(oe.Code)})
		return
	}
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, providerAnswer{Status: "applied", UserID: res.UserID, VerificationStatus: string(res.VerificationStatus)})
}

// failedDeliveries serves GET /v1/operator/webhooks/failed.
func (a *api) failedDeliveries(w http.ResponseWriter, r *http.Request) {
	if a.webhooks == nil {
		WriteError(w, &onboardkit.Error{Code: onboardkit.CodeNotFound, Message: "No webhook deliverer is configured."})
		return
	}
	q := r.URL.Query()
	var problems []onboardkit.FieldError
	after, limit := int64(0), 0
	if s := q.Get("cursor"); s != "" {
		var err error
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			problems = append(problems, onboardkit.FieldError{Field: "cursor", Code: onboardkit.FieldInvalid, Message: "Use the nextCursor of a previous page."})
		}
	}
	if s := q.Get("limit"); s != "" {
		var err error
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 100 {
			problems = append(problems, onboardkit.FieldError{Field: "limit", Code: onboardkit.FieldOutOfRange, Message: "Use 1 to 100."})
		}
	}
	if len(problems) > 0 {
		WriteError(w, onboardkit.ValidationError(problems...))
		return
	}
	ds, err := a.webhooks.Failed(r.Context(), q.Get("endpointId"), after, limit)
	if err != nil {
		WriteError(w, err)
		return
	}
	type delivery struct {
		EndpointID string `json:"endpointId"`
		Seq        int64  `json:"seq"`
		EventID    string `json:"eventId"`
		Type       string `json:"type"`
		Attempts   int    `json:"attempts"`
		LastStatus int    `json:"lastStatus"`
		LastError  string `json:"lastError"`
	}
	page := struct {
		Deliveries []delivery `json:"deliveries"`
		NextCursor string     `json:"nextCursor,omitempty"`
	}{Deliveries: []delivery{}}
	for _, d := range ds {
		page.Deliveries = append(page.Deliveries, delivery{d.EndpointID, d.Event.Seq, d.Event.ID, d.Event.Type, d.Attempts, d.LastStatus, d.LastError})
	}
	if limit == 0 {
		limit = 50
	}
	if n := len(ds); n > 0 && n == limit {
		page.NextCursor = strconv.FormatInt(ds[n-1].Event.Seq, 10)
	}
	writeJSON(w, http.StatusOK, page)
}

// replayDelivery serves POST
// /v1/operator/webhooks/{endpointId}/deliveries/{seq}/replay.
func (a *api) replayDelivery(w http.ResponseWriter, r *http.Request) {
	if a.webhooks == nil {
		WriteError(w, &onboardkit.Error{Code: onboardkit.CodeNotFound, Message: "No webhook deliverer is configured."})
		return
	}
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq <= 0 {
		WriteError(w, &onboardkit.Error{Code: onboardkit.CodeNotFound, Message: "No such delivery."})
		return
	}
	serveNoContent(w, r, true, func(ctx context.Context, _ *noBody) error {
		err := a.webhooks.Replay(ctx, r.PathValue("endpointId"), seq)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return &onboardkit.Error{Code: onboardkit.CodeNotFound, Message: "No such delivery."}
		case errors.Is(err, storage.ErrConflict):
			return onboardkit.NewError(onboardkit.CodeConflict, "Only a failed delivery can be replayed.")
		}
		return err
	})
}
