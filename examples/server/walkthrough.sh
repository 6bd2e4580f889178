#!/usr/bin/env bash
# The whole onboarding journey against a running example server, with curl
# and jq. It is the README's walkthrough as one script:
#
#   go run ./examples/server keygen -out integrator.pem      # prints 0x… (the public key)
#   go run ./examples/server keygen -out operator.pem        # optional: the operator steps
#   go run ./examples/server -outbox /tmp/outbox.jsonl -auto-approve-kyc -integrator-key 0x… -operator-key 0x… &
#   OUTBOX=/tmp/outbox.jsonl KEY=integrator.pem OPKEY=operator.pem bash examples/server/walkthrough.sh
set -euo pipefail

API=${API:-http://127.0.0.1:8080}
OUTBOX=${OUTBOX:-/tmp/outbox.jsonl}
KEY=${KEY:-integrator.pem}
OPKEY=${OPKEY:-}
SIGN=${SIGN:-go run ./examples/server sign}
PHONE=${PHONE:-+3361$(printf '%07d' $(( (RANDOM * 32768 + RANDOM) % 10000000 )))}
EMAIL=${EMAIL:-ada.${PHONE#+}@example.com}
PASSWORD='correct-horse-7-battery'

# code DESTINATION: the last one-time code the outbox holds for it.
code() { grep -F "\"to\":\"$1\"" "$OUTBOX" | tail -n 1 | jq -r .code; }
# call METHOD PATH [BODY] [TOKEN]: a JSON request; prints the status and body.
call() {
  local args=(-sS -X "$1" "$API$2" -w '\n')
  [[ -n "${3:-}" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  [[ -n "${4:-}" ]] && args+=(-H "Authorization: Bearer $4")
  curl "${args[@]}"
}
step() { printf '\n== %s\n' "$*" >&2; }

step "1. Sign up with a phone number and a password"
CHALLENGE=$(call POST /v1/signup "{\"phoneNumber\":\"$PHONE\",\"password\":\"$PASSWORD\"}" | tee /dev/stderr | jq -r .challenge.challengeId)

step "2. Confirm the SMS code (read from the outbox): tokens"
AUTH=$(call POST /v1/phone/confirm "{\"challengeId\":\"$CHALLENGE\",\"code\":\"$(code "$PHONE")\"}")
ACCESS=$(jq -r .tokens.accessToken <<<"$AUTH")
REFRESH=$(jq -r .tokens.refreshToken <<<"$AUTH")
jq '{userId, status, next}' <<<"$AUTH" >&2

step "3. Add and confirm an email"
ECH=$(call PUT /v1/email "{\"email\":\"$EMAIL\"}" "$ACCESS" | jq -r .challenge.challengeId)
call POST /v1/email/confirm "{\"challengeId\":\"$ECH\",\"code\":\"$(code "$EMAIL")\"}" "$ACCESS" >&2

step "4. Personal details, in two parts (200 with the fields still missing, then profile_completed)"
call PATCH /v1/profile '{"firstName":"Ada","lastName":"Lovelace"}' "$ACCESS" >&2
call PATCH /v1/profile '{"birthDate":"1990-12-10","nationality":"GBR","residentialAddress":{"streetLine1":"12 Rue de Rivoli","city":"Paris","postalCode":"75004","country":"FRA"}}' "$ACCESS" >&2

step "5. Compliance (204)"
call POST /v1/compliance "{\"termsAcceptedAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"politicallyExposed\":false,\"questionnaire\":{\"employmentStatus\":\"employed\",\"sourceOfFunds\":\"salary\",\"expectedMonthlyPaymentsUsd\":\"0_4999\",\"mostRecentOccupation\":\"Engineer\"}}" "$ACCESS" >&2

step "6. KYC with a tiny PNG passport scan (a low_resolution warning, no error)"
PNG='data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='
call POST /v1/kyc "{\"verificationDocuments\":[{\"documentType\":\"passport\",\"issuingCountry\":\"GBR\",\"document\":\"$PNG\",\"documentNumber\":\"123456789\",\"expiryDate\":\"2031-05-01\"}]}" "$ACCESS" | jq . >&2

step "7. With -auto-approve-kyc the decision was immediate"
call GET /v1/me '' "$ACCESS" | jq '{status, kyc, limits}' >&2
USER_ID=$(jq -r .userId <<<"$AUTH")

step "8. A signed integrator call: record a decision (idempotent when already active)"
BODY="{\"userId\":\"$USER_ID\",\"verificationStatus\":\"active\"}"
eval "$($SIGN -key "$KEY" -method POST -path /v1/integrator/kyc-decisions -body "$BODY")"
curl -sS -X POST "$API/v1/integrator/kyc-decisions" -w '\n' \
  -H 'Content-Type: application/json' -H "X-Pubkey: $PUBKEY" -H "X-Timestamp: $TIMESTAMP" -H "X-Signature: $SIGNATURE" \
  --data-binary "$BODY" >&2
step "   the same signature again is a replay (401)"
curl -sS -X POST "$API/v1/integrator/kyc-decisions" -w '\n' \
  -H 'Content-Type: application/json' -H "X-Pubkey: $PUBKEY" -H "X-Timestamp: $TIMESTAMP" -H "X-Signature: $SIGNATURE" \
  --data-binary "$BODY" >&2

step "9. Accounts: approval created one with a TRADING portfolio"
ACCOUNT=$(call GET /v1/accounts '' "$ACCESS" | tee /dev/stderr | jq -r '.accounts[0].accountId')

step "10. A SAVINGS portfolio with its own deposit address"
call POST /v1/portfolios "{\"accountId\":\"$ACCOUNT\",\"name\":\"Savings\",\"portfolioAccountType\":\"SAVINGS\"}" "$ACCESS" | jq . >&2

step "11. Refresh the tokens (the old refresh token stops working)"
REFRESH=$(call POST /v1/refresh "{\"refreshToken\":\"$REFRESH\"}" | jq -r .tokens.refreshToken)
test -n "$REFRESH"

step "12. Forgot and reset the password (every session is revoked)"
SESSION=$(call POST /v1/password/forgot "{\"username\":\"$PHONE\"}" | tee /dev/stderr | jq -r .sessionId)
NEWPW='new-Staple-42-battery'
call POST /v1/password/reset "{\"sessionId\":\"$SESSION\",\"code\":\"$(code "$PHONE")\",\"password\":\"$NEWPW\",\"passwordConfirm\":\"$NEWPW\"}" >&2

step "13. Log in with the new password and answer the SMS challenge"
LOGIN=$(call POST /v1/login "{\"username\":\"$EMAIL\",\"password\":\"$NEWPW\"}")
jq . <<<"$LOGIN" >&2
OTP=$(call POST /v1/otp "{\"sessionId\":\"$(jq -r .sessionId <<<"$LOGIN")\",\"code\":\"$(code "$PHONE")\"}")
ACCESS=$(jq -r .tokens.accessToken <<<"$OTP")
call GET /v1/me '' "$ACCESS" | jq '{userId, status, phoneNumber, email}' >&2

if [[ -n "$OPKEY" ]]; then
  # signed KEYFILE METHOD PATH [BODY]: a signed integrator or operator call.
  signed() {
    eval "$($SIGN -key "$1" -method "$2" -path "$3" -body "${4:-}")"
    local args=(-sS -X "$2" "$API$3" -w '\n' -H "X-Pubkey: $PUBKEY" -H "X-Timestamp: $TIMESTAMP" -H "X-Signature: $SIGNATURE")
    [[ -n "${4:-}" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
    curl "${args[@]}"
  }
  step "14. An operator finds the user by phone (masked) and reads the audit trail"
  signed "$OPKEY" GET "/v1/operator/users?phoneNumber=%2B${PHONE#+}&limit=5" | jq . >&2
  signed "$OPKEY" GET "/v1/operator/users/$USER_ID/events?limit=3" | jq . >&2

  step "15. An operator locks the user: login answers 423, then unlocks"
  signed "$OPKEY" POST "/v1/operator/users/$USER_ID/lock" >&2
  call POST /v1/login "{\"username\":\"$EMAIL\",\"password\":\"$NEWPW\"}" >&2
  signed "$OPKEY" POST "/v1/operator/users/$USER_ID/unlock" >&2
  call POST /v1/login "{\"username\":\"$EMAIL\",\"password\":\"$NEWPW\"}" | jq '{sessionId}' >&2
fi

step "done"
