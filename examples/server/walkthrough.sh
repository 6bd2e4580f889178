#!/usr/bin/env bash
# The whole onboarding journey against a running example server, with curl
# and jq. It is the README's walkthrough as one script; every call states the
# status it expects and the script stops, printing the answer, at the first
# other one (CI runs it: .ci/walkthrough).
#
#   KEYS=$(mktemp -d)                                              # private keys stay out of the repository
#   PUB=$(go run ./examples/server keygen -out "$KEYS/integrator.pem")
#   OP=$(go run ./examples/server keygen -out "$KEYS/operator.pem")   # optional: the operator steps
#   go run ./examples/server -outbox /tmp/outbox.jsonl -auto-approve-kyc -integrator-key "$PUB" -operator-key "$OP" &
#   OUTBOX=/tmp/outbox.jsonl KEY="$KEYS/integrator.pem" OPKEY="$KEYS/operator.pem" bash examples/server/walkthrough.sh
#
# With a server started with -base-path /auth, set PREFIX=/auth.
set -euo pipefail

API=${API:-http://127.0.0.1:8080}
PREFIX=${PREFIX:-}
OUTBOX=${OUTBOX:-/tmp/outbox.jsonl}
KEY=${KEY:?KEY: the integrator private key (keygen -out FILE)}
OPKEY=${OPKEY:-}
SIGN=${SIGN:-go run ./examples/server sign}
# A fresh phone number each run (French mobile range), so that a second run
# does not meet the first one's account.
PHONE=${PHONE:-+3361$(printf '%07d' $(( (RANDOM * 32768 + RANDOM) % 10000000 )))}
EMAIL=${EMAIL:-ada.${PHONE#+}@example.com}
PASSWORD='correct-horse-7-battery'
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }
# code DESTINATION: the last one-time code the outbox holds for it.
code() {
  local c
  c=$(grep -F "\"to\":\"$1\"" "$OUTBOX" | tail -n 1 | jq -r .code) || true
  [[ -n "$c" && "$c" != null ]] || fail "no code for $1 in $OUTBOX"
  printf '%s' "$c"
}
# send WANT CURL-ARGS...: runs curl, prints the answer's body, and stops the
# script unless the status is WANT.
send() {
  local want=$1 got
  shift
  got=$(curl -sS -o "$TMP/body" -w '%{http_code}' "$@") || fail "curl $*"
  if [[ "$got" != "$want" ]]; then
    cat "$TMP/body" >&2
    fail "$* answered $got, want $want"
  fi
  cat "$TMP/body"
  echo
}
# call WANT METHOD PATH [BODY] [TOKEN]: a JSON request.
call() {
  local args=(-X "$2" "$API$PREFIX$3")
  [[ -n "${4:-}" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
  [[ -n "${5:-}" ]] && args+=(-H "Authorization: Bearer $5")
  send "$1" "${args[@]}"
}
# signed WANT KEYFILE METHOD PATH [BODY]: a signed integrator or operator
# call (the signature covers the path as sent, prefix included).
signed() {
  eval "$($SIGN -key "$2" -method "$3" -path "$PREFIX$4" -body "${5:-}")"
  local args=(-X "$3" "$API$PREFIX$4" -H "X-Pubkey: $PUBKEY" -H "X-Timestamp: $TIMESTAMP" -H "X-Signature: $SIGNATURE")
  [[ -n "${5:-}" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$5")
  send "$1" "${args[@]}"
}
step() { printf '\n== %s\n' "$*" >&2; }

step "0. The server is live and ready (its store answers)"
send 200 "$API$PREFIX/healthz" >/dev/null
send 200 "$API$PREFIX/readyz" >&2

step "1. Sign up with a phone number and a password"
CHALLENGE=$(call 201 POST /v1/signup "{\"phoneNumber\":\"$PHONE\",\"password\":\"$PASSWORD\"}" | tee /dev/stderr | jq -r .challenge.challengeId)

step "2. Confirm the SMS code (read from the outbox): tokens"
AUTH=$(call 200 POST /v1/phone/confirm "{\"challengeId\":\"$CHALLENGE\",\"code\":\"$(code "$PHONE")\"}")
ACCESS=$(jq -r .tokens.accessToken <<<"$AUTH")
REFRESH=$(jq -r .tokens.refreshToken <<<"$AUTH")
USER_ID=$(jq -r .userId <<<"$AUTH")
jq '{userId, status, next}' <<<"$AUTH" >&2

step "3. Add and confirm an email"
ECH=$(call 202 PUT /v1/email "{\"email\":\"$EMAIL\"}" "$ACCESS" | jq -r .challenge.challengeId)
call 200 POST /v1/email/confirm "{\"challengeId\":\"$ECH\",\"code\":\"$(code "$EMAIL")\"}" "$ACCESS" >&2

step "4. Personal details, in two parts (200 with the fields still missing, then profile_completed)"
call 200 PATCH /v1/profile '{"firstName":"Ada","lastName":"Lovelace"}' "$ACCESS" >&2
call 200 PATCH /v1/profile '{"birthDate":"1990-12-10","nationality":"GBR","residentialAddress":{"streetLine1":"12 Rue de Rivoli","city":"Paris","postalCode":"75004","country":"FRA"}}' "$ACCESS" >&2

step "5. Compliance (204)"
call 204 POST /v1/compliance "{\"termsAcceptedAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"politicallyExposed\":false,\"questionnaire\":{\"employmentStatus\":\"employed\",\"sourceOfFunds\":\"salary\",\"expectedMonthlyPaymentsUsd\":\"0_4999\",\"mostRecentOccupation\":\"Engineer\"}}" "$ACCESS" >&2

step "6. KYC with a tiny PNG passport scan (a low_resolution warning, no error)"
PNG='data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='
call 202 POST /v1/kyc "{\"verificationDocuments\":[{\"documentType\":\"passport\",\"issuingCountry\":\"GBR\",\"document\":\"$PNG\",\"documentNumber\":\"123456789\",\"expiryDate\":\"2031-05-01\"}]}" "$ACCESS" | jq . >&2

step "7. With -auto-approve-kyc the decision was immediate"
call 200 GET /v1/me '' "$ACCESS" | jq '{status, kyc, limits}' >&2

step "8. A signed integrator call: record a decision (idempotent when already active)"
BODY="{\"userId\":\"$USER_ID\",\"verificationStatus\":\"active\"}"
eval "$($SIGN -key "$KEY" -method POST -path "$PREFIX/v1/integrator/kyc-decisions" -body "$BODY")"
HDRS=(-H 'Content-Type: application/json' -H "X-Pubkey: $PUBKEY" -H "X-Timestamp: $TIMESTAMP" -H "X-Signature: $SIGNATURE")
send 200 -X POST "$API$PREFIX/v1/integrator/kyc-decisions" "${HDRS[@]}" --data-binary "$BODY" >&2
step "   the same signature again is a replay (401)"
send 401 -X POST "$API$PREFIX/v1/integrator/kyc-decisions" "${HDRS[@]}" --data-binary "$BODY" >&2

step "9. Accounts: approval created one with a TRADING portfolio"
ACCOUNT=$(call 200 GET /v1/accounts '' "$ACCESS" | tee /dev/stderr | jq -r '.accounts[0].accountId')

step "10. A SAVINGS portfolio with its own deposit address"
call 201 POST /v1/portfolios "{\"accountId\":\"$ACCOUNT\",\"name\":\"Savings\",\"portfolioAccountType\":\"SAVINGS\"}" "$ACCESS" | jq . >&2

step "11. Refresh the tokens (the old refresh token stops working)"
OLD=$REFRESH
REFRESH=$(call 200 POST /v1/refresh "{\"refreshToken\":\"$REFRESH\"}" | jq -r .tokens.refreshToken)
test -n "$REFRESH"
call 401 POST /v1/refresh "{\"refreshToken\":\"$OLD\"}" >&2

step "12. Forgot and reset the password (every session is revoked)"
SESSION=$(call 202 POST /v1/password/forgot "{\"username\":\"$PHONE\"}" | tee /dev/stderr | jq -r .sessionId)
NEWPW='new-Staple-42-battery'
call 204 POST /v1/password/reset "{\"sessionId\":\"$SESSION\",\"code\":\"$(code "$PHONE")\",\"password\":\"$NEWPW\",\"passwordConfirm\":\"$NEWPW\"}" >&2
step "13. Log in with the new password and answer the SMS challenge"
LOGIN=$(call 200 POST /v1/login "{\"username\":\"$EMAIL\",\"password\":\"$NEWPW\"}")
jq . <<<"$LOGIN" >&2
OTP=$(call 200 POST /v1/otp "{\"sessionId\":\"$(jq -r .sessionId <<<"$LOGIN")\",\"code\":\"$(code "$PHONE")\"}")
ACCESS=$(jq -r .tokens.accessToken <<<"$OTP")
call 200 GET /v1/me '' "$ACCESS" | jq '{userId, status, phoneNumber, email}' >&2

if [[ -n "$OPKEY" ]]; then
  step "14. An operator finds the user by phone (masked) and reads the audit trail"
  signed 200 "$OPKEY" GET "/v1/operator/users?phoneNumber=%2B${PHONE#+}&limit=5" | jq . >&2
  signed 200 "$OPKEY" GET "/v1/operator/users/$USER_ID/events?limit=3" | jq . >&2

  step "15. An operator locks the user: login answers 423, then unlocks"
  signed 204 "$OPKEY" POST "/v1/operator/users/$USER_ID/lock" >&2
  call 423 POST /v1/login "{\"username\":\"$EMAIL\",\"password\":\"$NEWPW\"}" >&2
  signed 204 "$OPKEY" POST "/v1/operator/users/$USER_ID/unlock" >&2
  call 200 POST /v1/login "{\"username\":\"$EMAIL\",\"password\":\"$NEWPW\"}" | jq '{sessionId}' >&2
fi

step "done: every step answered as expected"
