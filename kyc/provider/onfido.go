package provider

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/onboardkit/onboardkit/kyc"
)

// OnfidoSignatureHeader holds the hexadecimal HMAC-SHA256 of the raw body of
// an Onfido notification, keyed with the webhook's token.
const OnfidoSignatureHeader = "X-SHA2-Signature"

// Onfido is the Adapter of Onfido (Entrust Identity Verification,
// https://documentation.onfido.com) Studio webhooks.
//
// # Signature
//
// Onfido sends X-SHA2-Signature, the hexadecimal HMAC-SHA256 of the raw body
// keyed with the token returned when the webhook was registered; Verify
// compares it in constant time.
//
// # Decisions
//
// A notification is {"payload": {"resource_type", "action", "object":
// {"id", "status", "completed_at_iso8601", "href"}, "resource": {...}}}.
// Only the action workflow_run.completed decides, on object.status (the
// workflow run's status):
//
//	approved  → active
//	declined  → rejected
//	review    → no decision
//	abandoned, error, any other status → no decision
//
// review is the outcome of a workflow that ends on a Review node: the run
// needs a manual review by the host's own team; Onfido has asked the user
// for nothing. The user stays under_review (waiting_for_information would
// tell the user to submit again, which nobody asked for), and the host's
// reviewer decides later (POST /v1/integrator/kyc-decisions). A declined
// decision has no Reason: the workflow's reasons are labels the host
// configured in Onfido, not text for the user.
//
// The user is resource.customer_user_id: the host creates each workflow run
// with customer_user_id set to this module's user id. A deciding
// notification without it is ErrMalformed.
//
// # Event id
//
// Onfido's payload carries no event id. The EventID is action, object id
// and object status: "workflow_run.completed:<workflow run id>:approved". A
// retried delivery has the same three; a run whose outcome changes later
// (a review settled as approved) is a new event.
type Onfido struct {
	token []byte
}

var _ Adapter = (*Onfido)(nil)

// NewOnfido returns the Onfido adapter for a webhook whose token is token.
func NewOnfido(token string) (*Onfido, error) {
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("provider: the Onfido webhook token is empty")
	}
	return &Onfido{token: []byte(token)}, nil
}

// Name returns "onfido".
func (*Onfido) Name() string { return "onfido" }

// Verify checks X-SHA2-Signature over body.
func (o *Onfido) Verify(header http.Header, body []byte) error {
	sig, err := headerValue(header, OnfidoSignatureHeader)
	if err != nil {
		return err
	}
	return checkHMAC(sha256.New, o.token, body, sig)
}

// onfidoEvent is the part of an Onfido webhook event the adapter reads.
type onfidoEvent struct {
	Payload *struct {
		ResourceType string `json:"resource_type"`
		Action       string `json:"action"`
		Object       *struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"object"`
		Resource json.RawMessage `json:"resource"`
	} `json:"payload"`
}

// onfidoRun is the part of a workflow run resource the adapter reads.
type onfidoRun struct {
	ID             string `json:"id"`
	CustomerUserID string `json:"customer_user_id"`
}

// Parse reads an Onfido notification (see Onfido for the mapping).
func (o *Onfido) Parse(body []byte) (*Notification, error) {
	var ev onfidoEvent
	if err := decodeObject(body, &ev); err != nil {
		return nil, err
	}
	p := ev.Payload
	if p == nil || !printable(p.Action, maxEnumLen, false) {
		return nil, fmt.Errorf("%w: payload.action is missing", ErrMalformed)
	}
	n := &Notification{Type: p.Action}
	var id, status string
	if p.Object != nil {
		id, status = p.Object.ID, p.Object.Status
	}
	switch {
	case id != "" && !printable(id, maxIDLen, false):
		return nil, fmt.Errorf("%w: payload.object.id is not an id", ErrMalformed)
	case status != "" && !printable(status, maxEnumLen, false):
		return nil, fmt.Errorf("%w: payload.object.status is not a status", ErrMalformed)
	case id != "":
		n.EventID = p.Action + ":" + id
		if status != "" {
			n.EventID += ":" + status
		}
	}
	if p.Action != "workflow_run.completed" {
		return n, nil
	}
	if id == "" || status == "" || p.ResourceType != "" && p.ResourceType != "workflow_run" {
		return nil, fmt.Errorf("%w: workflow_run.completed without a workflow run id and status", ErrMalformed)
	}
	var run onfidoRun
	if len(p.Resource) > 0 && string(p.Resource) != "null" {
		if json.Unmarshal(p.Resource, &run) != nil || run.ID != "" && run.ID != id {
			return nil, fmt.Errorf("%w: payload.resource does not match payload.object", ErrMalformed)
		}
	}
	uid, err := userID(run.CustomerUserID, "payload.resource.customer_user_id")
	if err != nil {
		return nil, err
	}
	n.UserID = uid
	switch status {
	case "approved":
		return decided(n, kyc.Decision{Status: kyc.StatusActive}, "payload.resource.customer_user_id")
	case "declined":
		return decided(n, kyc.Decision{Status: kyc.StatusRejected}, "payload.resource.customer_user_id")
	}
	return n, nil
}
