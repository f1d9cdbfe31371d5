import { json } from '../http/reply.ts'
import { exactPath } from './route.ts'
import type { Route } from './route.ts'

/**
 * The emulated Kubernetes cluster's service-account issuer: OIDC discovery and JWKS under `/kubernetes`, what
 * Entra fetches to verify projected service-account tokens.
 * @example
 * ```ts
 * const routes = [...kubernetesIssuerRoutes, ...tokenRoutes]
 * ```
 */
export const kubernetesIssuerRoutes: readonly Route[] = [
  {
    name: 'kubernetes-openid-configuration',
    endpoint: 'kubernetes',
    match: exactPath('kubernetes/.well-known/openid-configuration'),
    handle: (_request, emulator) => {
      const issuer = emulator.identity.federation.kubernetesIssuer
      return json(200, {
        issuer,
        jwks_uri: `${issuer}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      })
    },
  },
  {
    name: 'kubernetes-jwks',
    endpoint: 'kubernetes',
    match: exactPath('kubernetes/openid/v1/jwks'),
    // Kubernetes publishes plain JWKs (no Entra `issuer` member).
    handle: (_request, emulator) =>
      json(200, {
        keys: emulator.issuer
          .jwks('kubernetes')
          .keys.map((k) => ({ kty: k.kty, use: k.use, kid: k.kid, alg: 'RS256', n: k.n, e: k.e })),
      }),
  },
]
