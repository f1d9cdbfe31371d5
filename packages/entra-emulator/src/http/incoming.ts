import type { IncomingMessage } from 'node:http'

/** Entra's front door refuses bodies over this size. */
export const MAX_BODY_BYTES = 1_000_000

/**
 * Reads the whole body as UTF-8 text.
 * @throws RangeError when the body is larger than {@link MAX_BODY_BYTES}.
 * @example
 * ```ts
 * const body = await readBody(req)
 * ```
 */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > MAX_BODY_BYTES) throw new RangeError('body too large')
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The fields of a form body, or the top-level fields of a JSON body (non-strings as JSON text). For a repeated
 * form field the first value counts.
 * @example
 * ```ts
 * formFields('grant_type=client_credentials', 'application/x-www-form-urlencoded').get('grant_type')
 * ```
 */
export function formFields(body: string, contentType: string | undefined): Map<string, string> {
  const fields = new Map<string, string>()
  if (contentType?.includes('application/json') === true) {
    try {
      const parsed: unknown = JSON.parse(body)
      if (typeof parsed === 'object' && parsed !== null) {
        for (const [k, v] of Object.entries(parsed)) {
          fields.set(k, typeof v === 'string' ? v : JSON.stringify(v))
        }
      }
    } catch {
      // an unparsable JSON body has no fields
    }
    return fields
  }
  for (const [k, v] of new URLSearchParams(body)) if (!fields.has(k)) fields.set(k, v)
  return fields
}

/**
 * `decodeURIComponent`, or the text unchanged when it is not valid percent-encoding.
 * @example
 * ```ts
 * safeDecode('contoso%2Eonmicrosoft.com') // 'contoso.onmicrosoft.com'
 * ```
 */
export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/**
 * Request headers as one string per lower-case name.
 * @example
 * ```ts
 * headerRecord(req)['content-type']
 * ```
 */
export function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}

/**
 * The client ID of a request: the `client_id` field, else the user name of HTTP Basic authentication.
 * @example
 * ```ts
 * requestClientId(fields, headers['authorization'])
 * ```
 */
export function requestClientId(
  fields: ReadonlyMap<string, string>,
  authorization: string | undefined,
): string | undefined {
  const basicId = /^Basic\s+(.+)$/i.exec(authorization ?? '')?.[1]
  return (
    fields.get('client_id') ??
    (basicId !== undefined
      ? safeDecode((Buffer.from(basicId, 'base64').toString('utf8').split(':')[0] ?? '').replace(/\+/g, ' '))
      : undefined)
  )
}
