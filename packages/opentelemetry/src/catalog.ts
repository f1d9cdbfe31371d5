/**
 * The metric catalog: instrument names and attribute keys. They are public API, stable across releases, so
 * dashboards and alerts survive upgrades; a change here is a breaking change.
 *
 * @module
 */

/** The meter's name. */
export const meterName = '@onbehalf/opentelemetry'

/** Instrument names. */
export const metricNames = {
  /** Asynchronous counter: `getToken` calls by cache outcome and token source. */
  acquisitions: 'onbehalf.token.acquisitions',
  /** Histogram, seconds: token requests to the identity provider. */
  tokenRequestDuration: 'onbehalf.token_request.duration',
  /** Up-down counter: token requests in flight now. */
  activeTokenRequests: 'onbehalf.token_request.active',
  /** Counter: throttled acquisitions (a 429 from the identity provider, or a caller blocked by its Retry-After). */
  throttles: 'onbehalf.token.throttles',
  /** Counter: proactive refreshes that failed (the caller got the still-valid cached token). */
  refreshFailures: 'onbehalf.token.refresh_failures',
  /** Counter: distributed cache (L2) operations that failed and became misses or dropped writes. */
  cacheErrors: 'onbehalf.cache.errors',
  /** Asynchronous gauge: the distributed cache's circuit breaker (0 closed, 1 half-open, 2 open). */
  cacheCircuitState: 'onbehalf.cache.circuit.state',
} as const

/** Attribute keys. None carries a token, an assertion, a secret or a user identifier. */
export const attributeNames = {
  /** `hit`, `miss`, `coalesced`, `refresh`, `claims_bypass`, `throttled`. */
  cacheOutcome: 'onbehalf.cache.outcome',
  /** `l1`, `l2`, `identity_provider` (absent for `throttled`). */
  tokenSource: 'onbehalf.token.source',
  /** The engine: `jose`, `msal`, … */
  engine: 'onbehalf.engine',
  /** The tenant the token is for (a directory ID or domain; never a user's ID). */
  tenantId: 'onbehalf.tenant_id',
  /** The downstream resource of the first scope: a host (`graph.microsoft.com`) or an App ID URI (`api://…`). */
  resource: 'onbehalf.resource',
  /** `no_cached_token`, `expired`, `proactive_refresh`, `claims`. */
  reason: 'onbehalf.token_request.reason',
  /** `on_behalf_of`, `refresh_token`. */
  grant: 'onbehalf.token_request.grant',
  /** `success`, `failure`. */
  outcome: 'onbehalf.token_request.outcome',
  /** Our stable error code (`INTERACTION_REQUIRED`, `THROTTLED`, …), on failure (OpenTelemetry's `error.type`). */
  errorType: 'error.type',
  /** Entra's error code as `AADSTS<number>`, when Entra answered with one. */
  stsErrorCode: 'onbehalf.sts.error_code',
  /** The HTTP status of Entra's error answer. */
  httpStatus: 'http.response.status_code',
  /** `identity_provider` (a 429) or `retry_after` (blocked locally by an earlier 429's Retry-After). */
  throttleOrigin: 'onbehalf.throttle.origin',
  /** The distributed cache's kind: `redis`. */
  cacheSystem: 'onbehalf.cache.system',
  /** `read`, `write`, `delete`, `decode`. */
  cacheOperation: 'onbehalf.cache.operation',
  /** Why it failed: `timeout`, `error`, `circuit-open`, `overloaded`, `tampered`, … */
  cacheErrorReason: 'onbehalf.cache.error_reason',
} as const
