#!/usr/bin/env bash
# Registers the apps an On-Behalf-Of middle tier needs in a real Microsoft Entra tenant, with the Azure CLI:
#   1. the middle-tier API: App ID URI api://<client ID>, delegated scope `access_as_user`, v2 access tokens,
#      delegated permissions on Microsoft Graph (User.Read) and on the demo's downstream API (Documents.Read),
#      the Azure CLI and the client pre-authorized for its scope, a client credential, admin consent;
#   2. the demo's downstream "documents" API: App ID URI, delegated scope `Documents.Read`, v2 access tokens;
#   3. a client (public client + SPA redirect URIs) that signs users in and asks for the middle tier's scope.
# Run it again at any time: it finds the apps by display name and changes only what is missing. (A client
# secret is the exception: each run with CREDENTIAL=secret adds a new one.)
#
# Needs: az (logged in with `az login --tenant <tenant>` as a user who may register apps and grant admin
# consent, e.g. Application Administrator or Cloud Application Administrator), and openssl for
# CREDENTIAL=certificate.
#
# Settings (environment):
#   PREFIX       display-name prefix of the three apps       (default: onbehalf-demo)
#   CREDENTIAL   secret | certificate | none                 (default: secret)
#                  none: no credential is added; use a federated credential (managed identity, workload identity)
#   CERT_FILE    where CREDENTIAL=certificate writes the PEM (key + certificate) (default: ./middle-tier.pem)
#   SPA_REDIRECT_URI  SPA redirect URI of the client         (default: http://localhost:3000/)
#
# Output: progress on stderr; on stdout only `export NAME=value` lines for apps/demo and your own code, so
#   scripts/real-tenant/register-apps.sh > .env.real-tenant && . ./.env.real-tenant
# The file holds the client secret when CREDENTIAL=secret: keep it out of version control.
set -euo pipefail

PREFIX="${PREFIX:-onbehalf-demo}"
CREDENTIAL="${CREDENTIAL:-secret}"
CERT_FILE="${CERT_FILE:-./middle-tier.pem}"
SPA_REDIRECT_URI="${SPA_REDIRECT_URI:-http://localhost:3000/}"

GRAPH_APP_ID=00000003-0000-0000-c000-000000000000 # Microsoft Graph
AZURE_CLI_APP_ID=04b07795-8ddb-461a-bbee-02f9e1bf7b46 # Microsoft Azure CLI (first-party public client)
GRAPH=https://graph.microsoft.com/v1.0

log() { printf '%s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

case "$CREDENTIAL" in
  secret | certificate | none) ;;
  *) die "CREDENTIAL must be secret, certificate or none (got '$CREDENTIAL')" ;;
esac
command -v az >/dev/null || die "the Azure CLI (az) is not installed: https://learn.microsoft.com/cli/azure/install-azure-cli"
if [ "$CREDENTIAL" = certificate ]; then
  command -v openssl >/dev/null || die "CREDENTIAL=certificate needs openssl"
fi

new_uuid() {
  if command -v uuidgen >/dev/null; then
    uuidgen | tr '[:upper:]' '[:lower:]'
  else
    cat /proc/sys/kernel/random/uuid
  fi
}

# The app (client) ID of the app registration with this display name, created when missing.
ensure_app() {
  local name="$1" app_id
  app_id="$(az ad app list --display-name "$name" --query '[0].appId' -o tsv)"
  if [ -z "$app_id" ]; then
    log "creating app registration '$name'"
    app_id="$(az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg --query appId -o tsv)"
  else
    log "found app registration '$name' ($app_id)"
  fi
  printf '%s\n' "$app_id"
}

# A service principal (enterprise application) in this tenant: needed for consent and for Entra to issue tokens.
ensure_service_principal() {
  local app_id="$1"
  if [ -z "$(az ad sp list --filter "appId eq '$app_id'" --query '[0].id' -o tsv)" ]; then
    log "creating the service principal of $app_id"
    az ad sp create --id "$app_id" --output none
  fi
}

# Exposes one delegated scope under App ID URI api://<app ID> and asks for v2 access tokens
# (accessTokenAcceptedVersion 2: `aud` is the client ID, `iss` ends in /v2.0). Prints the scope's ID, kept
# from an earlier run when there is one (Entra refuses to change the ID of an enabled scope). A fourth
# argument adds members to the `api` object (every run sends the whole object, so nothing set earlier is lost).
ensure_api() {
  local app_id="$1" scope="$2" description="$3" extra="${4:-}" object_id scope_id
  object_id="$(az ad app show --id "$app_id" --query id -o tsv)"
  scope_id="$(az ad app show --id "$app_id" --query "api.oauth2PermissionScopes[?value=='$scope'].id | [0]" -o tsv)"
  [ -n "$scope_id" ] || scope_id="$(new_uuid)"
  az ad app update --id "$app_id" --identifier-uris "api://$app_id" --output none
  az rest --method PATCH --uri "$GRAPH/applications/$object_id" --headers 'Content-Type=application/json' \
    --body "{\"api\":{\"requestedAccessTokenVersion\":2,\"oauth2PermissionScopes\":[{\"id\":\"$scope_id\",\"value\":\"$scope\",\"type\":\"User\",\"isEnabled\":true,\"adminConsentDisplayName\":\"$description\",\"adminConsentDescription\":\"$description\",\"userConsentDisplayName\":\"$description\",\"userConsentDescription\":\"$description\"}]$extra}}" \
    --output none
  log "exposed api://$app_id/$scope (v2 access tokens)"
  printf '%s\n' "$scope_id"
}

# Adds a delegated permission (Scope) of one API to an app's required permissions, unless it is there.
ensure_permission() {
  local app_id="$1" api_app_id="$2" permission_id="$3" present
  present="$(az ad app show --id "$app_id" \
    --query "length(requiredResourceAccess[?resourceAppId=='$api_app_id'].resourceAccess[] | [?id=='$permission_id'])" -o tsv)"
  if [ "$present" = 0 ]; then
    log "adding delegated permission $permission_id of $api_app_id to $app_id"
    az ad app permission add --id "$app_id" --api "$api_app_id" --api-permissions "$permission_id=Scope" --output none
  fi
}

TENANT_ID="$(az account show --query tenantId -o tsv)"
log "tenant: $TENANT_ID"

# 2. The downstream API first: the middle tier's permission refers to its scope.
DOWNSTREAM_ID="$(ensure_app "$PREFIX-documents-api")"
DOCUMENTS_SCOPE_ID="$(ensure_api "$DOWNSTREAM_ID" Documents.Read 'Read documents as the signed-in user')"
ensure_service_principal "$DOWNSTREAM_ID"

# 1. The middle tier.
MIDDLE_TIER_ID="$(ensure_app "$PREFIX-middle-tier")"
ACCESS_SCOPE_ID="$(ensure_api "$MIDDLE_TIER_ID" access_as_user 'Call the middle tier as the signed-in user')"
ensure_service_principal "$MIDDLE_TIER_ID"
ensure_service_principal "$GRAPH_APP_ID"
USER_READ_ID="$(az ad sp show --id "$GRAPH_APP_ID" --query "oauth2PermissionScopes[?value=='User.Read'].id | [0]" -o tsv)"
[ -n "$USER_READ_ID" ] || die "Microsoft Graph's User.Read scope was not found in this tenant"
ensure_permission "$MIDDLE_TIER_ID" "$GRAPH_APP_ID" "$USER_READ_ID"
ensure_permission "$MIDDLE_TIER_ID" "$DOWNSTREAM_ID" "$DOCUMENTS_SCOPE_ID"

# 3. The client: a public client (device code, `http://localhost` for desktop and CLI sign-in) and a SPA.
CLIENT_ID="$(ensure_app "$PREFIX-client")"
CLIENT_OBJECT_ID="$(az ad app show --id "$CLIENT_ID" --query id -o tsv)"
az ad app update --id "$CLIENT_ID" --is-fallback-public-client true --public-client-redirect-uris http://localhost \
  --output none
az rest --method PATCH --uri "$GRAPH/applications/$CLIENT_OBJECT_ID" --headers 'Content-Type=application/json' \
  --body "{\"spa\":{\"redirectUris\":[\"$SPA_REDIRECT_URI\"]}}" --output none
ensure_permission "$CLIENT_ID" "$MIDDLE_TIER_ID" "$ACCESS_SCOPE_ID"
ensure_service_principal "$CLIENT_ID"

# The client and the Azure CLI may ask for access_as_user without a consent prompt, and a consent given to
# the client also covers the middle tier (knownClientApplications: combined consent).
ensure_api "$MIDDLE_TIER_ID" access_as_user 'Call the middle tier as the signed-in user' \
  ",\"knownClientApplications\":[\"$CLIENT_ID\"],\"preAuthorizedApplications\":[{\"appId\":\"$CLIENT_ID\",\"delegatedPermissionIds\":[\"$ACCESS_SCOPE_ID\"]},{\"appId\":\"$AZURE_CLI_APP_ID\",\"delegatedPermissionIds\":[\"$ACCESS_SCOPE_ID\"]}]" \
  >/dev/null
log "pre-authorized the client and the Azure CLI for api://$MIDDLE_TIER_ID/access_as_user"

# Admin consent: OBO has no user in front of it to ask, so the middle tier's permissions must be granted ahead.
if az ad app permission admin-consent --id "$MIDDLE_TIER_ID" --output none; then
  log "granted admin consent for the middle tier's permissions"
else
  log "warning: admin consent failed (it needs an administrator). Grant it in the portal: App registrations >"
  log "  $PREFIX-middle-tier > API permissions > Grant admin consent. Until then OBO fails with AADSTS65001."
fi

# The middle tier's client credential.
credential_line=''
case "$CREDENTIAL" in
  secret)
    log "adding a client secret to the middle tier (valid 180 days)"
    secret="$(az ad app credential reset --id "$MIDDLE_TIER_ID" --append --display-name "$PREFIX" \
      --end-date "$(date -u -d '+180 days' +%Y-%m-%d 2>/dev/null || date -u -v+180d +%Y-%m-%d)" --query password -o tsv)"
    credential_line="export MIDDLE_TIER_CLIENT_SECRET='$secret'"
    ;;
  certificate)
    if [ ! -f "$CERT_FILE" ]; then
      log "writing a self-signed certificate and its key to $CERT_FILE"
      key_file="$(mktemp)"
      cert_file="$(mktemp)"
      openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 -subj "/CN=$PREFIX-middle-tier" \
        -keyout "$key_file" -out "$cert_file" 2>/dev/null
      (umask 077 && cat "$key_file" "$cert_file" >"$CERT_FILE")
      rm -f "$key_file" "$cert_file"
    fi
    # Entra keeps the SHA-1 thumbprint as customKeyIdentifier; depending on the az version it shows as hex or base64.
    thumbprint="$(openssl x509 -in "$CERT_FILE" -noout -fingerprint -sha1 | sed 's/^.*=//; s/://g')"
    thumbprint_b64="$(openssl x509 -in "$CERT_FILE" -outform der | openssl dgst -sha1 -binary | openssl base64)"
    if [ -z "$(az ad app credential list --id "$MIDDLE_TIER_ID" --cert \
      --query "[?customKeyIdentifier=='$thumbprint' || customKeyIdentifier=='$thumbprint_b64'].keyId | [0]" -o tsv)" ]; then
      log "uploading the certificate ($thumbprint) to the middle tier"
      public_cert="$(mktemp)"
      openssl x509 -in "$CERT_FILE" -out "$public_cert"
      az ad app credential reset --id "$MIDDLE_TIER_ID" --append --cert "@$public_cert" --output none
      rm -f "$public_cert"
    fi
    credential_line="export MIDDLE_TIER_CERTIFICATE_PATH='$(cd "$(dirname "$CERT_FILE")" && pwd)/$(basename "$CERT_FILE")'"
    ;;
  none)
    log "no client credential added: add a federated credential (docs/real-tenant.md, Secretless)"
    ;;
esac

cat <<ENV
export AZURE_TENANT_ID='$TENANT_ID'
export MIDDLE_TIER_CLIENT_ID='$MIDDLE_TIER_ID'
export DOWNSTREAM_APP_ID_URI='api://$DOWNSTREAM_ID'
export DOWNSTREAM_CLIENT_ID='$DOWNSTREAM_ID'
export CLIENT_APP_ID='$CLIENT_ID'
ENV
if [ -n "$credential_line" ]; then printf '%s\n' "$credential_line"; fi
log "done. A user token for the middle tier: az account get-access-token --scope api://$MIDDLE_TIER_ID/access_as_user"
