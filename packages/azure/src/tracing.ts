/**
 * One span per token request, through `@azure/core-tracing` as `@azure/identity` does: the span joins the
 * trace of the Azure SDK client that asked (its `tracingOptions`), and stays a no-op until the application
 * registers an instrumenter (e.g. `@azure/opentelemetry-instrumentation-azure-sdk`). A cache hit opens no
 * span: core calls this only around a token request.
 *
 * @module
 */
import { createTracingClient, type OperationTracingOptions, type TracingClient } from '@azure/core-tracing'
import type { TokenProviderRequest, TokenResult } from '@onbehalf/core'

/** The span's name, as `@azure/identity` names its credentials' spans. */
export const tokenRequestSpanName = 'OnBehalfOfCredential.getToken'

let client: TracingClient | undefined

/**
 * Runs a token request inside a span parented by the caller's `tracingOptions` (carried as the request's
 * `traceContext`). Used as the token provider's `aroundTokenRequest`.
 *
 * @example
 * ```ts
 * createTokenProvider({ engine, cache, aroundTokenRequest: traceTokenRequest })
 * ```
 */
export function traceTokenRequest(
  run: () => Promise<TokenResult>,
  request: TokenProviderRequest,
): Promise<TokenResult> {
  // Created on first token request: importing the package stays free of work.
  client ??= createTracingClient({ namespace: 'Microsoft.AAD', packageName: '@onbehalf/azure' })
  const tracingOptions = request.traceContext as OperationTracingOptions | undefined
  return client.withSpan(tokenRequestSpanName, tracingOptions === undefined ? {} : { tracingOptions }, run, {
    spanAttributes: { 'onbehalf.tenant_id': request.tenantId, 'onbehalf.scopes': request.scopes.join(' ') },
  })
}
