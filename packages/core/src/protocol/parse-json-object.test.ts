import { describe, expect, it } from 'vitest'
import { parseJsonObject } from './parse-json-object.ts'

describe('parseJsonObject', () => {
  it('returns a JSON object', () => {
    expect(parseJsonObject('{"error":"invalid_grant","error_codes":[70000]}')).toEqual({
      error: 'invalid_grant',
      error_codes: [70000],
    })
  })

  it.each(['', '<html>busy</html>', '[1,2]', 'null', '"text"', '42', '{"truncated":'])(
    'returns undefined for %j',
    (text) => {
      expect(parseJsonObject(text)).toBeUndefined()
    },
  )
})
