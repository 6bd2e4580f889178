package provider_test

import (
	"net/http"
	"testing"

	"github.com/onboardkit/onboardkit/kyc"
)

func TestOnfidoParse(t *testing.T) {
	signed := func(body []byte) http.Header { return onfidoHeader(testToken, body) }
	const run = "bc77c6e5-753a-4580-96a6-aaed3e5a8d19"
	completed := func(file, status string, d *kyc.Decision) parseCase {
		return parseCase{
			file: "onfido/" + file, header: signed,
			eventID: "workflow_run.completed:" + run + ":" + status, typ: "workflow_run.completed", userID: testUser,
			decision: d,
		}
	}
	runParseCases(t, newOnfido(t), []parseCase{
		completed("workflow_run_completed_approved.json", "approved", &kyc.Decision{Status: kyc.StatusActive}),
		completed("workflow_run_completed_declined.json", "declined", &kyc.Decision{Status: kyc.StatusRejected}),
		completed("workflow_run_completed_review.json", "review", nil),
		completed("workflow_run_completed_abandoned.json", "abandoned", nil),
		completed("workflow_run_completed_error.json", "error", nil),
		{
			file: "onfido/workflow_task_started.json", header: signed,
			eventID: "workflow_task.started:profile_1eb92:started", typ: "workflow_task.started",
		},
		{
			file: "onfido/check_completed.json", header: signed,
			eventID: "check.completed:f2302f45-227d-413d-ad61-09ec077a086a:complete", typ: "check.completed",
		},
	})
}
