/**
 * Reading an HTTP answer's body without trusting its size: a hostile or broken endpoint cannot make an engine
 * buffer more than it allows.
 *
 * @module
 */
import { InvalidResponseError } from './invalid-response-error.ts'

/**
 * The body of `response` as UTF-8 text, refused once it is larger than `maxBytes` (declared by
 * `content-length` or counted while streaming); the rest of the body is cancelled, not read.
 *
 * @throws InvalidResponseError (`INVALID_RESPONSE`, with the answer's status) when the body is too large.
 * @example
 * ```ts
 * const text = await readBoundedBody(await fetch(url), 1024 * 1024)
 * ```
 */
export async function readBoundedBody(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = (): InvalidResponseError =>
    new InvalidResponseError(
      `The answer is larger than ${maxBytes} bytes and was refused; check that the authority host is Entra (not a proxy or captive portal)`,
      response.status,
    )
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined)
    throw tooLarge()
  }
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge()
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}
