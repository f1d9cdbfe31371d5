/**
 * The downstream API: a small "documents" service that only accepts On-Behalf-Of tokens minted for it and
 * for the middle tier. It validates every request (signature via the issuer's JWKS, issuer, audience =
 * itself, `scp`, `azp` = the middle tier) and answers per user. It can also play a Continuous Access
 * Evaluation (CAE) resource: after a critical event for a user (password reset, revoked session…), tokens
 * issued before the event are refused with a claims challenge, which a CAE-capable client (`xms_cc` `cp1`)
 * answers by getting a fresh token with those claims.
 *
 * @module
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { renderClaimsChallenge } from '@onbehalf/core'
import { listenOnLoopback, type PortChoice } from './listen.ts'
import type { LoopbackTlsIdentity } from './tls.ts'
import { ApiAuthError, requireScopes, type AccessTokenClaims, type ProtectedApi } from '@onbehalf/server'
import { validatingApi, type IdentitySetup } from './identity.ts'

/** Options of {@link startDownstreamApi}. */
export interface DownstreamApiOptions {
  /** Validates tokens: audience = this API, `allowedClientApps` = the middle tier (no client credential). */
  readonly api: ProtectedApi
  /** The delegated scope `GET /documents` needs, e.g. `Documents.Read`. */
  readonly requiredScope: string
  /** Where clients get tokens (goes into the challenge's `authorization_uri`). */
  readonly authorizationUri: string
  /** The https identity to serve with (bearer tokens never travel over plain http). */
  readonly tls: LoopbackTlsIdentity
  /** Default 0 (any free port). */
  readonly port?: PortChoice
}

/** A running downstream API. */
export interface DownstreamApi {
  /** `https://127.0.0.1:<port>` */
  readonly url: string
  /**
   * Records a CAE critical event for a user: tokens issued before now, and every token this API has already
   * accepted for the user, are refused with an `insufficient_claims` challenge from now on.
   */
  revokeSessions(oid: string): { readonly revokedAtSeconds: number }
  /** Requests answered so far, by status. */
  stats(): { readonly ok: number; readonly challenged: number; readonly refused: number }
  close(): Promise<void>
}

interface Revocation {
  readonly revokedAtSeconds: number
  readonly tokenIds: ReadonlySet<string>
}

/** Token IDs (`uti`) remembered per user: enough for the demo, bounded so memory stays flat. */
const maxTokenIdsPerUser = 64

/**
 * Starts the downstream API on loopback over https.
 *
 * @example
 * ```ts
 * const api = await startDownstreamApi({ api: protectedApi, requiredScope: 'Documents.Read', authorizationUri, tls })
 * api.revokeSessions(user.oid) // the next call with an older token gets a CAE challenge
 * ```
 */
export async function startDownstreamApi(options: DownstreamApiOptions): Promise<DownstreamApi> {
  const requirement = requireScopes(options.requiredScope)
  const revocations = new Map<string, Revocation>()
  const acceptedTokenIds = new Map<string, Set<string>>()
  const counts = { ok: 0, challenged: 0, refused: 0 }
  const app: FastifyInstance = Fastify({
    https: { key: options.tls.keyPem, cert: options.tls.certificatePem },
    logger: false,
  })

  /** Validates the request (and CAE state); answers the refusal and returns `undefined`, or the user's claims. */
  const authorize = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<Readonly<AccessTokenClaims> | undefined> => {
    let claims
    try {
      ;({ claims } = await options.api.authenticate(request, requirement))
    } catch (error) {
      if (!(error instanceof ApiAuthError)) throw error
      counts.refused++
      await reply.code(error.status).headers(error.headers).send({ error: error.error, message: error.message })
      return undefined
    }
    const oid = String(claims['oid'])
    const tokenId =
      typeof claims['uti'] === 'string' ? claims['uti'] : typeof claims['jti'] === 'string' ? claims['jti'] : ''
    const revocation = revocations.get(oid)
    if (
      revocation !== undefined &&
      ((claims.iat ?? 0) < revocation.revokedAtSeconds || revocation.tokenIds.has(tokenId))
    ) {
      const caeCapable =
        Array.isArray(claims['xms_cc']) && claims['xms_cc'].some((v) => String(v).toLowerCase() === 'cp1')
      if (!caeCapable) {
        // A client that did not declare cp1 cannot answer a claims challenge: plain refusal.
        counts.refused++
        await reply
          .code(401)
          .header('WWW-Authenticate', 'Bearer error="invalid_token", error_description="The session was revoked."')
          .send({ error: 'invalid_token', message: 'The session was revoked.' })
        return undefined
      }
      counts.challenged++
      const challengeClaims = JSON.stringify({
        access_token: { nbf: { essential: true, value: String(revocation.revokedAtSeconds) } },
      })
      const challenge = renderClaimsChallenge(challengeClaims).replace(
        /^Bearer /,
        `Bearer realm="", authorization_uri="${options.authorizationUri}", `,
      )
      await reply.code(401).header('WWW-Authenticate', challenge).send({
        error: 'insufficient_claims',
        message: 'A critical event revoked this session: get a new token with the claims.',
      })
      return undefined
    }
    remember(acceptedTokenIds, oid, tokenId)
    counts.ok++
    return claims
  }

  app.get('/documents', async (request, reply) => {
    const claims = await authorize(request, reply)
    if (claims === undefined) return reply
    const oid = String(claims['oid'])
    return {
      user: { oid, name: claims['name'], username: claims['preferred_username'] },
      documents: documentsFor(oid, typeof claims['name'] === 'string' ? claims['name'] : 'user'),
    }
  })

  // One document, with its text; another user's document ID is simply not found.
  app.get<{ Params: { id: string } }>('/documents/:id', async (request, reply) => {
    const claims = await authorize(request, reply)
    if (claims === undefined) return reply
    const oid = String(claims['oid'])
    const document = documentsFor(oid, typeof claims['name'] === 'string' ? claims['name'] : 'user').find(
      (d) => d.id === request.params.id,
    )
    if (document === undefined) return reply.code(404).send({ error: 'not_found', message: 'No such document.' })
    return { ...document, text: `${document.title}, by ${document.owner} (last changed ${document.modified}).` }
  })

  const port = await listenOnLoopback(app, options.port ?? 0)
  return {
    url: `https://127.0.0.1:${String(port)}`,
    revokeSessions(oid) {
      const revokedAtSeconds = Math.floor(Date.now() / 1000)
      revocations.set(oid, { revokedAtSeconds, tokenIds: new Set(acceptedTokenIds.get(oid)) })
      acceptedTokenIds.delete(oid)
      return { revokedAtSeconds }
    },
    stats: () => ({ ...counts }),
    close: () => app.close(),
  }
}

function remember(map: Map<string, Set<string>>, oid: string, tokenId: string): void {
  if (tokenId === '') return
  let ids = map.get(oid)
  if (ids === undefined) map.set(oid, (ids = new Set()))
  ids.add(tokenId)
  if (ids.size > maxTokenIdsPerUser) ids.delete(ids.values().next().value as string)
}

const titles = [
  'Quarterly plan',
  'Design review notes',
  'Travel policy',
  'Team offsite agenda',
  'Budget draft',
  'Hiring loop feedback',
]

/** A stable, per-user list: the same user always sees the same documents, different users different ones. */
function documentsFor(oid: string, name: string): { id: string; title: string; owner: string; modified: string }[] {
  const seed = [...oid].reduce((sum, ch) => (sum * 31 + ch.charCodeAt(0)) >>> 0, 7)
  return [0, 1, 2].map((i) => {
    const n = (seed + i * 2654435761) >>> 0
    return {
      id: `doc-${oid.slice(0, 4)}-${String(i + 1)}`,
      title: titles[n % titles.length] ?? 'Untitled',
      owner: name,
      modified: new Date(Date.UTC(2026, n % 12, 1 + (n % 27))).toISOString().slice(0, 10),
    }
  })
}

/**
 * Starts the downstream API for an identity setup: tokens from its tenant, for the downstream app, from the middle
 * tier only (`allowedClientApps`: the `azp` of OBO tokens), validated with `@onbehalf/server` (no client
 * credential: it calls nothing further).
 *
 * @example
 * ```ts
 * const downstream = await startDownstreamApiFor(identity, createLoopbackTlsIdentity())
 * ```
 */
export function startDownstreamApiFor(
  identity: IdentitySetup,
  tls: LoopbackTlsIdentity,
  port: PortChoice = 0,
): Promise<DownstreamApi> {
  return startDownstreamApi({
    api: validatingApi(identity, identity.downstream.audiences, [identity.middleTier.clientId]),
    requiredScope: identity.downstream.scope,
    authorizationUri: identity.authorizationUri,
    tls,
    port,
  })
}
