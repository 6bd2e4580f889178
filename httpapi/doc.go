// Package httpapi exposes the onboarding journey of an *onboarding.Service as a
// JSON HTTP API (the contract of docs/API.md at the module root), on the standard library's
// http.ServeMux method patterns.
//
//	h := httpapi.New(svc, httpapi.Config{})
//	http.ListenAndServe(":8080", h)
//
// # Errors
//
// Every error is an RFC 9457 problem details object
// (application/problem+json) whose "code" is the stable machine code of the
// *onboardkit.Error behind it; one table (see StatusFor) maps each code to an
// HTTP status. Field problems are listed in "errors", the remaining attempts
// of a one-time code in "attemptsRemaining". 401 answers carry
// WWW-Authenticate: Bearer (with error="invalid_token" for a bad access
// token), 429 and 503 answers Retry-After: the error's RetryAfter in whole
// seconds, rounded up, and at least 1 even when the error has no delay (a
// burned challenge, too_many_attempts, needs a new one rather than a wait).
// A store that cannot be reached answers 503 "unavailable": retry later; the
// handler recovers by itself when the store is back. Anything that is not an
// *onboardkit.Error, and every panic, becomes a 500 "internal" problem that
// reveals nothing.
//
// Request bodies must be application/json (a charset parameter, if any, must
// be utf-8), at most 1 MiB (16 MiB for KYC submissions and integrator
// individual accounts), one JSON value with no unknown fields and nothing after
// it.
//
// A sign-up whose code could not be sent (send_failed with a result) is still
// answered 201 with the result, since the user and the challenge exist and
// the code can be resent at once; the handler logs a warning. Every other
// send_failed is a 502 problem.
//
// # Authentication
//
// [user] routes need "Authorization: Bearer <access token>", checked with
// Service.VerifyAccessToken. [integrator] routes need an ECDSA P-256 request
// signature (see RequireSignature and Sign): the signed message is
// "{timestamp}{METHOD}{path_and_query}{body}", hashed with SHA-256; the key
// must be allow-listed, the timestamp within 60 s of the server clock, and each
// signature is accepted once. By default the replay cache
// (ratelimit.NewMemoryReplayCache) lives in one process: behind several
// replicas, give SignatureConfig.Replay a shared one
// (postgres.Store.ReplayCache, or package ratelimit/redisrate) so that a
// signature accepted by one replica is refused by the others.
//
// [operator] routes (/v1/operator/…: lock, deactivate, roles, metadata,
// accounts for a user, user search, audit trail) are signed the same way
// by a key of Config.OperatorKeys, a separate allow-list: an integrator key
// is refused there, and an operator key on integrator routes. The verified
// key (OperatorKey, in the X-Pubkey form) is the onboarding.Actor the
// Service records in the audit event of every operator action. Their query
// parameters are read strictly: an unknown or repeated one is a 400
// malformed_request, a value that does not parse a 422 validation problem
// naming the parameter.
//
// # Rate limits
//
// Sign-up, login, code verifications (every route that checks a one-time or
// recovery code), resends (every …/resend route) and forgot-password are
// rate limited per client IP, and identifier_taken answers (POST
// /v1/signup, PUT /v1/email, PUT /v1/phone) per client IP and per user;
// see RateLimits for the defaults. X-Forwarded-For is honoured only
// when the direct peer is one of Config.TrustedProxies. The counts are kept
// by Config.Limiter: in process by default (bounded in memory; with N
// replicas the effective limit is up to N times higher), or shared by every
// replica with postgres.Store.Limiter or package ratelimit/redisrate. Logins
// are not limited per username: the Service's login throttle, in the
// store, bounds guesses per account without letting strangers lock the
// owner out.
//
// # Logging
//
// Each request is logged once with log/slog: method, route pattern, status,
// duration, problem code and request id (from a well-formed X-Request-Id
// header, otherwise generated, and echoed in the response). Bodies, query
// strings, tokens, codes and other PII are never logged.
package httpapi
