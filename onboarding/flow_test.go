package onboarding

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/storage"
)

func TestFlowFire(t *testing.T) {
	f := DefaultFlow()
	user := func(status Status, mod ...func(*storage.User)) *storage.User {
		u := &storage.User{Status: string(status), PhoneVerified: status != StatusRegistered, EmailVerified: true, Email: "a@example.com", KYCStatus: "not_started"}
		for _, m := range mod {
			m(u)
		}
		return u
	}
	tests := []struct {
		name    string
		u       *storage.User
		trigger Trigger
		want    Status
		wantErr bool
	}{
		{"confirm contact", user(StatusRegistered), TriggerConfirmContact, StatusContactVerified, false},
		{"confirm twice", user(StatusContactVerified), TriggerConfirmContact, "", true},
		{"profile", user(StatusContactVerified), TriggerCompleteProfile, StatusProfileCompleted, false},
		{"profile without email", user(StatusContactVerified, func(u *storage.User) { u.EmailVerified = false }), TriggerCompleteProfile, "", true},
		{"profile update keeps status", user(StatusComplianceCompleted), TriggerCompleteProfile, StatusComplianceCompleted, false},
		{"profile while under review", user(StatusKYCPending, func(u *storage.User) { u.KYCStatus = "under_review" }), TriggerCompleteProfile, "", true},
		{"profile while waiting", user(StatusKYCPending, func(u *storage.User) { u.KYCStatus = "waiting_for_information" }), TriggerCompleteProfile, StatusKYCPending, false},
		{"compliance before profile", user(StatusContactVerified), TriggerSubmitCompliance, "", true},
		{"compliance", user(StatusProfileCompleted), TriggerSubmitCompliance, StatusComplianceCompleted, false},
		{"kyc before compliance", user(StatusProfileCompleted), TriggerSubmitKYC, "", true},
		{"kyc", user(StatusComplianceCompleted), TriggerSubmitKYC, StatusKYCPending, false},
		{"kyc again under review", user(StatusKYCPending, func(u *storage.User) { u.KYCStatus = "under_review" }), TriggerSubmitKYC, "", true},
		{"kyc again waiting", user(StatusKYCPending, func(u *storage.User) { u.KYCStatus = "waiting_for_information" }), TriggerSubmitKYC, StatusKYCPending, false},
		{"approve", user(StatusKYCPending), TriggerKYCApproved, StatusActive, false},
		{"approve before submission", user(StatusComplianceCompleted), TriggerKYCApproved, "", true},
		{"reject", user(StatusKYCPending), TriggerKYCRejected, StatusRejected, false},
		{"lock", user(StatusActive), TriggerLock, StatusLocked, false},
		{"lock twice", user(StatusLocked), TriggerLock, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Fire(ProgressOf(tt.u), tt.trigger)
			if tt.wantErr {
				oe := requireCode(t, err, onboardkit.CodeInvalidTransition)
				assert.Contains(t, oe.Message, string(tt.u.Status), "the error names the current status")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFlowNext(t *testing.T) {
	tests := []struct {
		name string
		flow Flow
		u    storage.User
		want []Step
	}{
		{"new phone user", DefaultFlow(), storage.User{Status: "registered"}, []Step{StepConfirmPhone, StepAddEmail, StepConfirmEmail, StepCompleteProfile, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}},
		{"email optional", Flow{EmailOptional: true}, storage.User{Status: "contact_verified", PhoneVerified: true}, []Step{StepCompleteProfile, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}},
		{"email added not confirmed", DefaultFlow(), storage.User{Status: "contact_verified", PhoneVerified: true, Email: "a@b.co"}, []Step{StepConfirmEmail, StepCompleteProfile, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}},
		{"email first", Flow{SignUp: SignUpWithEmail}, storage.User{Status: "registered"}, []Step{StepConfirmEmail, StepCompleteProfile, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}},
		{"under review", DefaultFlow(), storage.User{Status: "kyc_pending", PhoneVerified: true, EmailVerified: true, Email: "a@b.co", Profile: storage.Sealed{KeyRef: "dek/1", Data: []byte{1}}, Compliance: storage.Sealed{KeyRef: "dek/1", Data: []byte{1}}, KYCStatus: "under_review"}, []Step{StepKYCReview}},
		{"active", DefaultFlow(), storage.User{Status: "active"}, []Step{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.flow.Next(ProgressOf(&tt.u)))
		})
	}
}

func TestFlowMermaid(t *testing.T) {
	m := DefaultFlow().Mermaid()
	assert.True(t, strings.HasPrefix(m, "stateDiagram-v2\n"))
	for _, line := range []string{
		"[*] --> registered: sign_up (phone)",
		"registered --> contact_verified: confirm_contact",
		"contact_verified --> profile_completed: complete_profile [email confirmed if required]",
		"kyc_pending --> active: kyc_approved",
		"kyc_pending --> rejected: kyc_rejected",
	} {
		assert.Contains(t, m, line)
	}
	// Every status but locked appears in the diagram.
	for _, s := range Statuses {
		assert.Contains(t, m, string(s))
	}
}
