/**
 * The secret canaries: every string the suite produces that a user could see (error messages and their
 * causes, `@azure/logger` lines, event payloads, raw Redis values) is recorded here and searched for the
 * canaries (secret, certificate password, user assertion, issued tokens), in the encodings a leak would take.
 *
 * @module
 */
import { inspect } from 'node:util'

/** One canary found where it must not be. */
export interface Leak {
  readonly canary: string
  /** Where the text came from (e.g. `error:INVALID_CLIENT`, `log`, `event`, `redis`). */
  readonly source: string
  /** The text around the hit, with the canary itself masked. */
  readonly excerpt: string
}

/** Collects texts and finds canaries in them. */
export interface LeakScanner {
  /** Adds a canary (a secret, a password) searched for as given, URL-encoded and base64-encoded. */
  addSecret(name: string, value: string): void
  /** Adds a JWT canary: searched for whole and by its payload and signature segments (a header is shared by many tokens). */
  addToken(name: string, token: string): void
  /** Records a text. */
  record(source: string, text: string): void
  /** Records an error: name, message, stack, own properties and the whole `cause` chain. */
  recordError(source: string, error: unknown): void
  /** Records any value as `util.inspect` renders it (what a logger would print). */
  recordValue(source: string, value: unknown): void
  /** Every hit so far. */
  leaks(): Leak[]
  /** How many texts and characters were scanned. */
  readonly scanned: { texts: number; characters: number }
  readonly canaryCount: number
}

/**
 * Creates a scanner. Texts are searched as they are recorded; with `retainTexts` (default) they are kept, so a
 * canary added later (an issued token) is searched for in them too. The soak run turns retention off to keep
 * its heap measurement clean.
 *
 * @example
 * ```ts
 * const scanner = createLeakScanner()
 * scanner.addSecret('client secret', secret)
 * scanner.recordError('getToken', error)
 * expect(scanner.leaks()).toEqual([])
 * ```
 */
export function createLeakScanner(options: { readonly retainTexts?: boolean } = {}): LeakScanner {
  const retain = options.retainTexts ?? true
  const needles: { name: string; value: string }[] = []
  const texts: { source: string; text: string }[] = []
  const found: Leak[] = []
  const scanned = { texts: 0, characters: 0 }
  const search = (needle: { name: string; value: string }, source: string, text: string): void => {
    const at = text.indexOf(needle.value)
    if (at === -1) return
    const excerpt = `${text.slice(Math.max(0, at - 60), at)}<${needle.name}>${text.slice(at + needle.value.length, at + needle.value.length + 60)}`
    found.push({ canary: needle.name, source, excerpt })
  }
  const add = (name: string, value: string): void => {
    if (value.length < 12) throw new Error(`canary ${name} is too short to search for without false hits`)
    if (needles.some((needle) => needle.value === value)) return
    const needle = { name, value }
    needles.push(needle)
    // A canary learnt late (an issued token) is searched for in what was recorded before it, too.
    for (const { source, text } of texts) search(needle, source, text)
  }
  const scanner: LeakScanner = {
    addSecret(name, value) {
      add(name, value)
      if (encodeURIComponent(value) !== value) add(`${name} (url-encoded)`, encodeURIComponent(value))
      add(`${name} (base64)`, Buffer.from(value, 'utf8').toString('base64').replace(/=+$/, ''))
    },
    addToken(name, token) {
      add(name, token)
      const [, payload, signature] = token.split('.')
      if (payload !== undefined && payload.length >= 12) add(`${name} (payload)`, payload)
      if (signature !== undefined && signature.length >= 12) add(`${name} (signature)`, signature)
    },
    record(source, text) {
      scanned.texts++
      scanned.characters += text.length
      for (const needle of needles) search(needle, source, text)
      if (retain) texts.push({ source, text })
    },
    recordError(source, error) {
      const seen = new Set<unknown>()
      let current: unknown = error
      for (let depth = 0; current !== undefined && current !== null && !seen.has(current) && depth < 10; depth++) {
        seen.add(current)
        if (current instanceof Error) {
          scanner.record(source, `${current.name}: ${current.message}\n${current.stack ?? ''}`)
        }
        scanner.recordValue(source, current)
        current = current instanceof Error ? current.cause : undefined
      }
    },
    recordValue(source, value) {
      scanner.record(source, typeof value === 'string' ? value : inspect(value, { depth: 8, breakLength: Infinity, maxStringLength: Infinity }))
    },
    leaks: () => [...found],
    scanned,
    get canaryCount() {
      return needles.length
    },
  }
  return scanner
}
