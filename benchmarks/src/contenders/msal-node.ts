/**
 * msal-node used directly: one `ConfidentialClientApplication` shared by every request (what msal-node's docs
 * recommend for a web API), `acquireTokenOnBehalfOf` per call, msal-node's own network client and in-memory
 * cache.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { ConfidentialClientApplication } from '@azure/msal-node'
import type { EmulatorAccess } from '../child-protocol.ts'
import { jwtClaims, jwtSynthesizer } from '../synthetic.ts'
import type { JwtSynthesizer, SyntheticUser } from '../synthetic.ts'
import type { Contender } from './contender.ts'

type Entries = Record<string, Record<string, Record<string, unknown>>>

/** The four entries msal-node writes per user (and the section each lives in). */
const userSections = ['Account', 'IdToken', 'AccessToken', 'RefreshToken'] as const

interface UserTemplate {
  readonly oid: string
  readonly upn: string
  /** Per section: the entry key and the entry as JSON text. */
  readonly entries: readonly { section: string; key: string; json: string }[]
  readonly idToken: JwtSynthesizer
  readonly tokenChars: number
}

/**
 * The msal-node contender.
 *
 * Pre-filling uses msal-node's public cache API: `getTokenCache().serialize()`, then the serialized entries of
 * a real user (Account, IdToken, AccessToken with its `userAssertionHash`, RefreshToken) are copied per
 * synthetic user with its oid, tokens and assertion hash, and `getTokenCache().deserialize()` loads the result.
 * Filling through `acquireTokenOnBehalfOf` would give the same entries, but every write scans the whole cache
 * (O(N²) for N users).
 *
 * @example
 * ```ts
 * const msal = msalNodeContender(access)
 * const token = await msal.call(assertion)
 * ```
 */
export function msalNodeContender(access: EmulatorAccess): Contender {
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: access.clientId,
      clientSecret: access.clientSecret,
      authority: `${access.authorityHost}/${access.tenantId}`,
      knownAuthorities: [access.host],
    },
  })
  let template: UserTemplate | undefined

  const call = async (assertion: string): Promise<string> => {
    const result = await app.acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: [access.scope],
    })
    if (result === null) throw new Error('msal-node returned no result')
    return result.accessToken
  }

  return {
    id: 'msal-node',
    call,
    learnTemplate: async (assertion) => {
      const accessToken = await call(assertion)
      const claims = jwtClaims(assertion)
      const oid = String(claims['oid'])
      const cache = JSON.parse(app.getTokenCache().serialize()) as Entries
      const entries: { section: string; key: string; json: string }[] = []
      let idTokenTemplate: string | undefined
      let refreshTokenLength = 0
      let tokenChars = 0
      for (const section of userSections) {
        const found = Object.entries(cache[section] ?? {}).find(([, entry]) =>
          String(entry['home_account_id']).startsWith(`${oid}.`),
        )
        if (found === undefined) {
          throw new Error(`msal-node cached no ${section} for the template user`)
        }
        const [key, entry] = found
        entries.push({ section, key, json: JSON.stringify(entry) })
        if (typeof entry['secret'] === 'string') tokenChars += entry['secret'].length
        if (section === 'IdToken') idTokenTemplate = String(entry['secret'])
        if (section === 'RefreshToken') refreshTokenLength = String(entry['secret']).length
      }
      if (idTokenTemplate === undefined) throw new Error('no id token')
      template = {
        oid,
        upn: String(claims['preferred_username']),
        entries,
        idToken: jwtSynthesizer(idTokenTemplate),
        tokenChars,
      }
      return { assertion, accessToken, refreshTokenLength }
    },
    prefill: (users) => {
      if (template === undefined) return Promise.reject(new Error('learnTemplate first'))
      const cache = JSON.parse(app.getTokenCache().serialize()) as Entries
      for (const user of users) addUser(cache, template, user, access.tenantId)
      app.getTokenCache().deserialize(JSON.stringify(cache))
      return Promise.resolve()
    },
    tokenBytesPerUser: () => template?.tokenChars ?? 0,
  }
}

function addUser(cache: Entries, template: UserTemplate, user: SyntheticUser, tenantId: string): void {
  for (const { section, key, json } of template.entries) {
    const entry = JSON.parse(json.replaceAll(template.oid, user.oid).replaceAll(template.upn, user.upn)) as Record<
      string,
      unknown
    >
    switch (section) {
      case 'Account':
        entry['client_info'] = Buffer.from(JSON.stringify({ uid: user.oid, utid: tenantId })).toString('base64url')
        break
      case 'IdToken':
        entry['secret'] = template.idToken({
          oid: user.oid,
          preferred_username: user.upn,
          sub: user.oid,
        })
        break
      case 'AccessToken':
        entry['secret'] = user.accessToken
        entry['userAssertionHash'] = createHash('sha256').update(user.assertion).digest('base64url')
        break
      case 'RefreshToken':
        entry['secret'] = user.refreshToken
        break
    }
    const bucket = (cache[section] ??= {})
    bucket[key.replaceAll(template.oid, user.oid)] = entry
  }
}
