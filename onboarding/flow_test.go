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
		{"deactivate", user(StatusActive, func(u *storage.User) { u.KYCStatus = "active" }), TriggerKYCDeactivated, StatusActive, false},
		{"deactivate twice", user(StatusActive, func(u *storage.User) { u.KYCStatus = "inactive" }), TriggerKYCDeactivated, "", true},
		{"reactivate", user(StatusActive, func(u *storage.User) { u.KYCStatus = "inactive" }), TriggerKYCReactivated, StatusKYCPending, false},
		{"reactivate an active one", user(StatusActive, func(u *storage.User) { u.KYCStatus = "active" }), TriggerKYCReactivated, "", true},
		{"add a phone", user(StatusProfileCompleted), TriggerAddPhone, StatusProfileCompleted, false},
		{"add a phone before the contact is verified", user(StatusRegistered), TriggerAddPhone, "", true},
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
		{"under review", DefaultFlow(), storage.User{Status: "kyc_pending", PhoneVerified: true, EmailVerified: true, Email: "a@b.co", Profile: storage.Sealed{KeyRef: "dek/1", Data: []byte{1}}, ProfileComplete: true, Compliance: storage.Sealed{KeyRef: "dek/1", Data: []byte{1}}, KYCStatus: "under_review"}, []Step{StepKYCReview}},
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
	// Every status appears in the diagram.
	for _, s := range Statuses {
		assert.Contains(t, m, string(s))
	}
	assert.NotContains(t, m, "phone confirmed")

	// The sign-up log's order: the phone after the profile, before
	// compliance.
	m = SignUpLogFlow().Mermaid()
	assert.Contains(t, m, "[*] --> registered: sign_up (email)")
	assert.Contains(t, m, "profile_completed --> compliance_completed: submit_compliance [phone confirmed]")
	assert.Contains(t, m, "note right of profile_completed: add_phone, confirm_phone")
}

// TestSignUpLogFlowNext lists the steps of the sign-up log's order.
func TestSignUpLogFlowNext(t *testing.T) {
	f := SignUpLogFlow()
	tests := []struct {
		name string
		u    storage.User
		want []Step
	}{
		{"signed up", storage.User{Status: "registered", Email: "a@b.co"}, []Step{StepConfirmEmail, StepCompleteProfile, StepAddPhone, StepConfirmPhone, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}},
		{"names saved", storage.User{Status: "contact_verified", Email: "a@b.co", EmailVerified: true}, []Step{StepCompleteProfile, StepAddPhone, StepConfirmPhone, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}},
		{"profile complete", storage.User{Status: "profile_completed", EmailVerified: true, ProfileComplete: true}, []Step{StepAddPhone, StepConfirmPhone, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}},
		{"phone confirmed", storage.User{Status: "profile_completed", EmailVerified: true, ProfileComplete: true, PhoneVerified: true}, []Step{StepSubmitCompliance, StepSubmitKYC, StepKYCReview}},
		{"locked", storage.User{Status: "profile_completed", AdminLocked: true}, []Step{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, f.Next(ProgressOf(&tt.u)))
		})
	}
	_, err := f.Fire(ProgressOf(&storage.User{Status: "profile_completed", EmailVerified: true, ProfileComplete: true}), TriggerSubmitCompliance)
	oe := requireCode(t, err, onboardkit.CodeInvalidTransition)
	assert.Contains(t, oe.Message, "phone number must be confirmed")
}
