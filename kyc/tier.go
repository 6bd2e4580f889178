package kyc

// Tier is a KYC tier: what the user has proven, and so which limits apply.
type Tier string

// The tiers.
const (
	// TierNone: the contact is not verified or the personal details are
	// incomplete. Stored as "".
	TierNone Tier = ""
	// Tier0 (KYC_0): contact verified and personal details complete.
	Tier0 Tier = "KYC_0"
	// Tier1 (KYC_1): verification active.
	Tier1 Tier = "KYC_1"
)

// TierFor returns the tier of a user: KYC_1 when the verification status is
// active, KYC_0 when the contact (phone or email) is verified and the
// personal details are complete, TierNone otherwise.
func TierFor(contactVerified, profileComplete bool, status Status) Tier {
	switch {
	case status == StatusActive:
		return Tier1
	case contactVerified && profileComplete:
		return Tier0
	default:
		return TierNone
	}
}

// Limits are deposit limits in minor currency units (cents). JSON is the
// "limits" object of GET /v1/me.
type Limits struct {
	DailyDeposit   int64 `json:"dailyDeposit"`
	MonthlyDeposit int64 `json:"monthlyDeposit"`
}

// TierLimits maps each tier to its limits. A tier absent from the map has
// zero limits.
type TierLimits map[Tier]Limits

// DefaultTierLimits returns the default limits: 0/0 for KYC_0 (and for no
// tier) and a daily 100000 / monthly 500000 for KYC_1.
func DefaultTierLimits() TierLimits {
	return TierLimits{
		Tier0: {DailyDeposit: 0, MonthlyDeposit: 0},
		Tier1: {DailyDeposit: 100000, MonthlyDeposit: 500000},
	}
}

// For returns the limits of tier t (zero when t is not in the map).
func (l TierLimits) For(t Tier) Limits { return l[t] }

func (l TierLimits) clone() TierLimits {
	c := make(TierLimits, len(l))
	for k, v := range l {
		c[k] = v
	}
	return c
}
