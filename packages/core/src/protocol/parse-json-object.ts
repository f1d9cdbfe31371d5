/**
 * Lenient JSON reading for protocol answers: anything but a JSON object is "no body", for the caller to judge.
 *
 * @module
 */

/**
 * The JSON object in `text`, or `undefined` when `text` is not JSON or is JSON but not an object (an array,
 * a string, `null`).
 *
 * @example
 * ```ts
 * parseJsonObject('{"error":"invalid_grant"}') // { error: 'invalid_grant' }
 * parseJsonObject('<html>') // undefined
 * ```
 */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
