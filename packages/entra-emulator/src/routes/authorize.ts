import { refuseInTenant, underTenant } from './route.ts'
import type { Route } from './route.ts'

/**
 * The authorize endpoint: interactive sign-in is not emulated, so it explains how to get a user token instead.
 * @example
 * ```ts
 * const routes = [...tokenRoutes, ...authorizeRoutes]
 * ```
 */
export const authorizeRoutes: readonly Route[] = [
  {
    name: 'authorize',
    endpoint: 'other',
    match: underTenant(['oauth2/v2.0/authorize']),
    handle: refuseInTenant({
      status: 400,
      error: 'invalid_request',
      codes: [90056],
      message: 'Interactive sign-in is not emulated. Mint user tokens with POST /{tenant}/test/user-token.',
    }),
  },
]
