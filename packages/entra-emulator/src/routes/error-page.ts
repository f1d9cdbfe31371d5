import type { Route } from './route.ts'

/**
 * `/error?code=N`: where the `error_uri` of Entra error bodies points.
 * @example
 * ```ts
 * const routes = [...errorPageRoutes, ...tokenRoutes]
 * ```
 */
export const errorPageRoutes: readonly Route[] = [
  {
    name: 'error-page',
    endpoint: 'other',
    // Any path under /error, whatever follows: it comes before the tenant routes.
    match: (path) => (path.first?.toLowerCase() === 'error' ? { tenant: undefined } : undefined),
    handle: (request) => ({
      status: 200,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: `Error code ${request.url.searchParams.get('code') ?? ''} (onbehalf Entra emulator).`,
    }),
  },
]
