import { describe, expect, it } from 'vitest'
import { InvalidResponseError } from './invalid-response-error.ts'
import { readBoundedBody } from './read-bounded-body.ts'

function streamed(parts: readonly string[], status = 200): { response: Response; cancelled: () => boolean } {
  let cancelled = false
  const encoder = new TextEncoder()
  let index = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const part = parts[index++]
      if (part === undefined) controller.close()
      else controller.enqueue(encoder.encode(part))
    },
    cancel() {
      cancelled = true
    },
  })
  return { response: new Response(body, { status }), cancelled: () => cancelled }
}

describe('readBoundedBody', () => {
  it('joins a streamed body and decodes UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('{"name":"Zoë"}')
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 11))
        controller.enqueue(bytes.slice(11))
        controller.close()
      },
    })
    expect(await readBoundedBody(new Response(body), 100)).toBe('{"name":"Zoë"}')
  })

  it('reads an answer without a body as empty text', async () => {
    expect(await readBoundedBody(new Response(null, { status: 204 }), 10)).toBe('')
  })

  it('refuses a declared oversized body without reading it', async () => {
    const response = new Response('x'.repeat(50), { status: 502, headers: { 'content-length': '50' } })
    const error = await readBoundedBody(response, 10).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InvalidResponseError)
    expect((error as InvalidResponseError).code).toBe('INVALID_RESPONSE')
    expect((error as InvalidResponseError).status).toBe(502)
  })

  it('stops reading and cancels a stream once it passes the limit', async () => {
    const { response, cancelled } = streamed(['12345', '67890', 'abcde', 'never read'])
    const error = await readBoundedBody(response, 12).catch((caught: unknown) => caught)
    expect((error as InvalidResponseError).code).toBe('INVALID_RESPONSE')
    expect(cancelled()).toBe(true)
  })

  it('accepts a body of exactly the limit', async () => {
    const { response } = streamed(['12345', '67890'])
    expect(await readBoundedBody(response, 10)).toBe('1234567890')
  })
})
