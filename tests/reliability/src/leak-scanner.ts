/**
 * The secret canaries: every string the suite produces that a user could see (error messages and their
 * causes, `@azure/logger` lines, event payloads, raw Redis values) is recorded here and searched for the
 * canaries (secret, certificate password, user assertion, issued tokens), in the encodings a leak would take.
 *
 * Canaries must be known before anything can leak them: {@link LeakScanner.watch} wraps the `fetch` an engine
 * uses, so every token Entra issues is a canary before the engine has even read the answer, and a leak during
 * the very call that issued it is seen. Canaries are matched as substrings anywhere in a text (no word or
 * segment boundaries: a token glued to `_` or to other base64 characters is still found), and each canary is
 * also searched for base64- and base64url-encoded, at each of the three byte alignments it can have inside a
 * larger encoded text.
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
  /** Adds a canary (a secret, a password): searched for as given, URL-encoded, base64 and base64url-encoded. */
  addSecret(name: string, value: string): void
  /**
   * Adds a token canary: the whole token and, for a JWT, its payload and signature segments (the header is
   * shared by many tokens), each as given and base64/base64url-encoded.
   */
  addToken(name: string, token: string): void
  /**
   * Wraps a `fetch` so that every token an answer carries (`access_token`, `refresh_token`, `id_token`) becomes
   * a canary before the caller reads the answer. At most `maxTokens` tokens are added (default: no limit).
   */
  watch(fetch: typeof globalThis.fetch, options?: { readonly maxTokens?: number }): typeof globalThis.fetch
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
  /** Canaries added (each with its encodings counted once). */
  readonly canaryCount: number
  /** Tokens added through {@link LeakScanner.watch}. */
  readonly watchedTokens: number
  /** Whether `value` is searched for as it is (a canary added or watched). */
  isCanary(value: string): boolean
}

/** The shortest secret searched for: shorter ones would hit by chance. */
const minSecretLength = 12
/** The shortest token piece searched for (the old segment rule): shorter ones would hit by chance. */
const minPieceLength = 20
/** Token pieces are indexed by substrings of this length; a text is probed every `stride` characters. */
const gramLength = 12
const stride = minPieceLength - gramLength + 1

interface Needle {
  readonly name: string
  readonly value: string
}

/**
 * Creates a scanner. Texts are searched as they are recorded against the canaries known then, and not kept
 * (nothing weighs on a heap measurement): register canaries before the call that could leak them.
 *
 * @example
 * ```ts
 * const scanner = createLeakScanner()
 * scanner.addSecret('client secret', secret)
 * const credential = new OnBehalfOfCredential(tenantId, clientId, { ..., fetch: scanner.watch(emu.fetch) })
 * scanner.recordError('getToken', error)
 * expect(scanner.leaks()).toEqual([])
 * ```
 */
export function createLeakScanner(): LeakScanner {
  // Secrets are few: each is searched for with indexOf. Token pieces are many (every issued token): each is
  // indexed under each of its first `stride` grams (with the gram's offset), so probing a text at every
  // `stride`-th position meets any occurrence of any piece at least once, at one map lookup per probe.
  const secrets: Needle[] = []
  const index = new Map<string, { readonly needle: Needle; readonly offset: number }[]>()
  const values = new Set<string>()
  const found: Leak[] = []
  const scanned = { texts: 0, characters: 0 }
  let canaries = 0
  let watchedTokens = 0

  const addSecretNeedle = (name: string, value: string): void => {
    if (value.length < minSecretLength || values.has(value)) return
    values.add(value)
    secrets.push({ name, value })
  }

  const addPiece = (name: string, value: string): void => {
    if (value.length < minPieceLength || values.has(value)) return
    values.add(value)
    const needle = { name, value }
    for (let offset = 0; offset < stride; offset++) {
      const gram = value.slice(offset, offset + gramLength)
      const entries = index.get(gram)
      if (entries === undefined) index.set(gram, [{ needle, offset }])
      else entries.push({ needle, offset })
    }
  }

  /** The base64 and base64url encodings of `value` at each byte alignment (only whole groups kept). */
  const encodings = (name: string, value: string, add: (name: string, value: string) => void): void => {
    const bytes = Buffer.from(value, 'utf8')
    for (const encoding of ['base64', 'base64url'] as const) {
      for (let pad = 0; pad < 3; pad++) {
        const text = Buffer.concat([Buffer.alloc(pad), bytes]).toString(encoding)
        // A leading group mixes the padding bytes, a trailing one whatever follows in the real text: drop them.
        const from = pad === 0 ? 0 : 4
        const to = Math.floor((pad + bytes.length) / 3) * 4
        add(`${name} (${encoding}, offset ${pad})`, text.slice(from, to))
      }
    }
  }

  const excerptOf = (text: string, at: number, length: number, name: string): string =>
    `${text.slice(Math.max(0, at - 60), at)}<${name}>${text.slice(at + length, at + length + 60)}`

  const report = (needle: Needle, source: string, text: string, at: number): void => {
    found.push({ canary: needle.name, source, excerpt: excerptOf(text, at, needle.value.length, needle.name) })
  }

  const scanner: LeakScanner = {
    addSecret(name, value) {
      if (value.length < minSecretLength) {
        throw new Error(`canary ${name} is too short to search for without false hits`)
      }
      canaries++
      for (const [variant, text] of [
        [name, value],
        [`${name} (url-encoded)`, encodeURIComponent(value)],
      ] as const) {
        addSecretNeedle(variant, text)
        encodings(variant, text, addSecretNeedle)
      }
    },
    addToken(name, token) {
      if (values.has(token)) return
      canaries++
      addPiece(name, token)
      encodings(name, token, addPiece)
      const parts = token.split('.')
      if (parts.length === 3) {
        // The header is shared by many tokens; the payload and the signature are this token's own.
        addPiece(`${name} (payload)`, parts[1]!)
        addPiece(`${name} (signature)`, parts[2]!)
      }
    },
    watch(fetch, options = {}) {
      const maxTokens = options.maxTokens ?? Number.POSITIVE_INFINITY
      return async (input, init) => {
        const response = await fetch(input, init)
        const type = response.headers.get('content-type') ?? ''
        if (!type.includes('json') || watchedTokens >= maxTokens) return response
        const body = await response.text()
        try {
          const parsed = JSON.parse(body) as Record<string, unknown>
          for (const field of ['access_token', 'refresh_token', 'id_token']) {
            const token = parsed[field]
            if (typeof token === 'string' && token.length >= minSecretLength && watchedTokens < maxTokens) {
              watchedTokens++
              scanner.addToken(`issued ${field}`, token)
            }
          }
        } catch {
          // Not JSON after all (a fault's malformed body): nothing to learn, the caller gets it unchanged.
        }
        return new Response(body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        })
      }
    },
    record(source, text) {
      scanned.texts++
      scanned.characters += text.length
      for (const needle of secrets) {
        const at = text.indexOf(needle.value)
        if (at !== -1) report(needle, source, text, at)
      }
      if (index.size === 0) return
      let reported: Set<string> | undefined
      for (let at = 0; at + gramLength <= text.length; at += stride) {
        const entries = index.get(text.slice(at, at + gramLength))
        if (entries === undefined) continue
        for (const { needle, offset } of entries) {
          const start = at - offset
          if (start < 0 || !text.startsWith(needle.value, start)) continue
          // One occurrence is met by up to two probes: report it once.
          reported ??= new Set<string>()
          const id = `${String(start)}:${needle.name}:${needle.value.length}`
          if (reported.has(id)) continue
          reported.add(id)
          report(needle, source, text, start)
        }
      }
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
      return canaries
    },
    get watchedTokens() {
      return watchedTokens
    },
    isCanary: (value) => values.has(value),
  }
  return scanner
}
