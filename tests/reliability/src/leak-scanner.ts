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
  /** Adds a JWT canary: its payload and signature segments are searched for (a header is shared by many tokens). */
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
  // Token segments are looked up by exact base64url run (segments are delimited by '.'), so thousands of
  // issued tokens cost one Set lookup per run instead of one substring search each.
  const segments = new Map<string, string>()
  const runsSeen = new Map<string, string>()
  const texts: { source: string; text: string }[] = []
  const found: Leak[] = []
  const scanned = { texts: 0, characters: 0 }
  const excerptOf = (text: string, at: number, length: number, name: string): string =>
    `${text.slice(Math.max(0, at - 60), at)}<${name}>${text.slice(at + length, at + length + 60)}`
  const search = (needle: { name: string; value: string }, source: string, text: string): void => {
    const at = text.indexOf(needle.value)
    if (at !== -1) {
      found.push({ canary: needle.name, source, excerpt: excerptOf(text, at, needle.value.length, needle.name) })
    }
  }
  const addNeedle = (name: string, value: string): void => {
    if (value.length < 12) throw new Error(`canary ${name} is too short to search for without false hits`)
    if (needles.some((needle) => needle.value === value)) return
    const needle = { name, value }
    needles.push(needle)
    // A canary learnt late is searched for in what was recorded before it, too.
    for (const { source, text } of texts) search(needle, source, text)
  }
  const addSegment = (name: string, value: string): void => {
    if (value.length < 20 || segments.has(value)) return
    segments.set(value, name)
    const source = runsSeen.get(value)
    if (source !== undefined) found.push({ canary: name, source, excerpt: `<${name}>` })
  }
  const scanner: LeakScanner = {
    addSecret(name, value) {
      addNeedle(name, value)
      if (encodeURIComponent(value) !== value) addNeedle(`${name} (url-encoded)`, encodeURIComponent(value))
      addNeedle(`${name} (base64)`, Buffer.from(value, 'utf8').toString('base64').replace(/=+$/, ''))
    },
    addToken(name, token) {
      const parts = token.split('.')
      if (parts.length !== 3) {
        addNeedle(name, token)
        return
      }
      // The header is shared by many tokens; the payload and the signature are this token's own.
      addSegment(`${name} (payload)`, parts[1]!)
      addSegment(`${name} (signature)`, parts[2]!)
    },
    record(source, text) {
      scanned.texts++
      scanned.characters += text.length
      for (const needle of needles) search(needle, source, text)
      for (const match of text.matchAll(/[A-Za-z0-9_-]{20,}/g)) {
        const run = match[0]
        const name = segments.get(run)
        if (name !== undefined) {
          found.push({ canary: name, source, excerpt: excerptOf(text, match.index, run.length, name) })
        }
        if (retain) runsSeen.set(run, source)
      }
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
      scanner.record(
        source,
        typeof value === 'string'
          ? value
          : inspect(value, { depth: 8, breakLength: Infinity, maxStringLength: Infinity }),
      )
    },
    leaks: () => [...found],
    scanned,
    get canaryCount() {
      return needles.length + segments.size
    },
  }
  return scanner
}
