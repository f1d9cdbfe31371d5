#!/usr/bin/env bash
# Signs a user in with the device code flow through the client app that register-apps.sh made, and prints an
# access token for the middle tier (scope api://<middle tier>/access_as_user) on stdout: what a front end
# would send your API. Progress and the sign-in instructions go to stderr.
#
#   scripts/real-tenant/user-token.sh            # reads AZURE_TENANT_ID, CLIENT_APP_ID, MIDDLE_TIER_CLIENT_ID
#   TOKEN="$(scripts/real-tenant/user-token.sh)"
#
# Needs curl and node (to read JSON). AZURE_AUTHORITY_HOST changes the cloud (default login.microsoftonline.com).
set -euo pipefail

: "${AZURE_TENANT_ID:?set AZURE_TENANT_ID (printed by register-apps.sh)}"
: "${CLIENT_APP_ID:?set CLIENT_APP_ID (printed by register-apps.sh)}"
: "${MIDDLE_TIER_CLIENT_ID:?set MIDDLE_TIER_CLIENT_ID (printed by register-apps.sh)}"
authority="${AZURE_AUTHORITY_HOST:-https://login.microsoftonline.com}"
authority="${authority%/}/$AZURE_TENANT_ID/oauth2/v2.0"
scope="api://$MIDDLE_TIER_CLIENT_ID/access_as_user"

# One field of a JSON document on stdin ('' when absent).
field() { node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];process.stdout.write(v===undefined?"":String(v))})' "$1"; }

device="$(curl -sS --data-urlencode "client_id=$CLIENT_APP_ID" --data-urlencode "scope=$scope" "$authority/devicecode")"
device_code="$(printf '%s' "$device" | field device_code)"
if [ -z "$device_code" ]; then
  printf 'device code request failed: %s\n' "$(printf '%s' "$device" | field error_description)" >&2
  exit 1
fi
printf '%s\n' "$(printf '%s' "$device" | field message)" >&2
interval="$(printf '%s' "$device" | field interval)"

while true; do
  sleep "${interval:-5}"
  answer="$(curl -sS --data-urlencode 'grant_type=urn:ietf:params:oauth:grant-type:device_code' \
    --data-urlencode "client_id=$CLIENT_APP_ID" --data-urlencode "device_code=$device_code" "$authority/token")"
  token="$(printf '%s' "$answer" | field access_token)"
  if [ -n "$token" ]; then
    printf '%s\n' "$token"
    exit 0
  fi
  error="$(printf '%s' "$answer" | field error)"
  case "$error" in
    authorization_pending) ;;
    slow_down) interval=$((${interval:-5} + 5)) ;;
    *)
      printf 'sign-in failed: %s\n' "$(printf '%s' "$answer" | field error_description)" >&2
      exit 1
      ;;
  esac
done
