package kyc

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
)

func TestTransitions(t *testing.T) {
	allowed := map[[2]Status]bool{
		{StatusNotStarted, StatusInit}:                   true,
		{StatusInit, StatusUnderReview}:                  true,
		{StatusInit, StatusWaitingForInformation}:        true,
		{StatusUnderReview, StatusActive}:                true,
		{StatusUnderReview, StatusRejected}:              true,
		{StatusUnderReview, StatusWaitingForInformation}: true,
		{StatusWaitingForInformation, StatusUnderReview}: true,
		{StatusWaitingForInformation, StatusInit}:        true,
		{StatusActive, StatusInactive}:                   true,
		{StatusInactive, StatusUnderReview}:              true,
	}
	all := append(Statuses(), "bogus", "")
	for _, from := range all {
		for _, to := range all {
			want := allowed[[2]Status{from, to}]
			assert.Equal(t, want, CanTransition(from, to), "%s → %s", from, to)
			err := Transition(from, to)
			if want {
				assert.NoError(t, err)
				continue
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, onboardkit.ErrInvalidTransition))
			var e *onboardkit.Error
			require.True(t, errors.As(err, &e))
			assert.Contains(t, e.Message, `"`+string(from)+`"`)
			assert.Contains(t, e.Message, `"`+string(to)+`"`)
		}
	}
	assert.Equal(t, `invalid_transition: The verification status cannot change from "active" to "init".`, Transition(StatusActive, StatusInit).Error())
}

func TestTransitionsIsACopy(t *testing.T) {
	m := Transitions()
	assert.Len(t, m, 7)
	assert.Equal(t, []Status{StatusActive, StatusRejected, StatusWaitingForInformation}, m[StatusUnderReview])
	m[StatusRejected] = append(m[StatusRejected], StatusActive)
	m[StatusUnderReview][0] = StatusInactive
	assert.False(t, CanTransition(StatusRejected, StatusActive))
	assert.True(t, CanTransition(StatusUnderReview, StatusActive))
	for _, s := range Statuses() {
		assert.True(t, s.Valid())
	}
	assert.False(t, Status("x").Valid())
}

func TestParseStatus(t *testing.T) {
	s, err := ParseStatus("")
	require.NoError(t, err)
	assert.Equal(t, StatusNotStarted, s)
	s, err = ParseStatus("under_review")
	require.NoError(t, err)
	assert.Equal(t, StatusUnderReview, s)
	_, err = ParseStatus("approved")
	assert.Equal(t, []string{"verificationStatus:invalid_enum"}, pairs(fieldErrors(t, err)))
}

func TestCheckSubmission(t *testing.T) {
	v := newTestValidator(t)
	assert.NoError(t, v.CheckSubmission(StatusNotStarted, 0))
	assert.NoError(t, v.CheckSubmission(StatusWaitingForInformation, 4))
	err := v.CheckSubmission(StatusWaitingForInformation, 5)
	assert.True(t, errors.Is(err, onboardkit.ErrLimitReached), "%v", err)
	assert.Equal(t, onboardkit.CodeLimitReached, onboardkit.ErrorCode(err))
	for _, s := range []Status{StatusInit, StatusUnderReview, StatusActive, StatusRejected, StatusInactive} {
		assert.True(t, errors.Is(v.CheckSubmission(s, 0), onboardkit.ErrInvalidTransition), s)
	}
	assert.True(t, errors.Is(v.CheckSubmission(StatusActive, 9), onboardkit.ErrInvalidTransition), "transition is checked first")

	r := DefaultRules()
	r.MaxSubmissions = 1
	v = newTestValidator(t, func(c *Config) { c.Rules = &r })
	assert.NoError(t, v.CheckSubmission(StatusNotStarted, 0))
	assert.Error(t, v.CheckSubmission(StatusWaitingForInformation, 1))
}

func TestTiers(t *testing.T) {
	for _, tc := range []struct {
		contact, profile bool
		status           Status
		tier             Tier
	}{
		{false, false, StatusNotStarted, TierNone},
		{true, false, StatusNotStarted, TierNone},
		{false, true, StatusNotStarted, TierNone},
		{true, true, StatusNotStarted, Tier0},
		{true, true, StatusUnderReview, Tier0},
		{true, true, StatusRejected, Tier0},
		{true, true, StatusInactive, Tier0},
		{true, true, StatusActive, Tier1},
		{false, false, StatusActive, Tier1},
	} {
		assert.Equal(t, tc.tier, TierFor(tc.contact, tc.profile, tc.status), "%+v", tc)
	}
	d := DefaultTierLimits()
	assert.Equal(t, Limits{0, 0}, d.For(Tier0))
	assert.Equal(t, Limits{100000, 500000}, d.For(Tier1))
	assert.Equal(t, Limits{}, d.For(TierNone))

	v := newTestValidator(t)
	assert.Equal(t, Limits{100000, 500000}, v.Limits(Tier1))
	custom := TierLimits{Tier0: {1000, 5000}, Tier1: {1_000_000, 10_000_000}}
	v = newTestValidator(t, func(c *Config) { c.TierLimits = custom })
	custom[Tier0] = Limits{}
	assert.Equal(t, Limits{1000, 5000}, v.Limits(Tier0), "copied in")
	tl := v.TierLimits()
	tl[Tier1] = Limits{}
	assert.Equal(t, Limits{1_000_000, 10_000_000}, v.Limits(Tier1), "copied out")
}
