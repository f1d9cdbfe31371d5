import { authorizeRoutes } from './authorize.ts'
import { discoveryRoutes } from './discovery.ts'
import { errorPageRoutes } from './error-page.ts'
import { kubernetesIssuerRoutes } from './kubernetes-issuer.ts'
import { managedIdentityRoutes } from './managed-identity.ts'
import type { Route } from './route.ts'
import { testEndpointRoutes } from './test-endpoints.ts'
import { testFaultRoutes } from './test-faults.ts'
import { tokenRoutes } from './token.ts'

/**
 * Every endpoint the emulator serves, tried in this order; the first whose `match` accepts the path answers, and
 * an unmatched path gets a 404. To add an endpoint, add a `Route` to the file of its concern, or write a new
 * `routes/<concern>.ts` exporting `readonly Route[]` and list it here. Paths with a fixed first segment
 * (`/error`, `/test/faults`) come before the `/{tenant}/...` routes, which would otherwise take them for a tenant.
 * @example
 * ```ts
 * const route = ALL_ROUTES.find((r) => r.match(path, 'GET') !== undefined)
 * ```
 */
export const ALL_ROUTES: readonly Route[] = [
  ...errorPageRoutes,
  ...testFaultRoutes,
  ...managedIdentityRoutes,
  ...kubernetesIssuerRoutes,
  ...discoveryRoutes,
  ...tokenRoutes,
  ...authorizeRoutes,
  ...testEndpointRoutes,
]
