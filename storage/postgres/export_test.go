package postgres

// The lookup queries, for the plan tests of postgres_test.
var (
	UserLookup           = userQuery
	ChallengeLookup      = challengeQuery
	ByPhone              = byPhone
	ByEmail              = byEmail
	LatestChallengeWhere = latestChallenge
)
