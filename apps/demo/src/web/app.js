// @ts-check
// The demo page: plays the front end. It holds the user's token in memory only, shows claims decoded, and
// answers the middle tier's claims challenge the standard way (get a new token with the claims, retry).

/**
 * @typedef {{ id: string, name: string, username: string, oid: string, scenario: string }} DemoUser
 * @typedef {{ name: string, ids: string[] }} DemoApp
 * @typedef {{ mode: 'emulator' | 'entra', cache: string, users: DemoUser[], apps: DemoApp[], middleTier: { clientId: string, scope: string, clientCredential: string } }} DemoConfig
 * @typedef {Record<string, unknown>} Claims
 * @typedef {{ validateMs: number, tokenMs: number, downstreamMs: number, totalMs: number }} Timings
 * @typedef {{ caller?: Claims, obo?: Claims, cache?: string, token?: string, cacheEvents: { type: string, durationMs: number }[],
 *   attempts: { status: number, challenged: boolean, durationMs: number }[], caeRetried: boolean, timings: Timings }} Chain
 */

/** @param {string} selector */
function $(selector) {
  const element = document.querySelector(selector)
  if (!(element instanceof HTMLElement)) throw new Error(`missing element ${selector}`)
  return element
}

/** @param {string} tag @param {Record<string, string>} [attributes] @param {...(Node | string)} children */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value)
  element.append(...children)
  return element
}

/** @param {string} token @returns {Claims | undefined} */
function decodeJwt(token) {
  try {
    const part = token.split('.')[1] ?? ''
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    )
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))))
  } catch {
    return undefined
  }
}

/** The decoded `claims` of a `Bearer error="insufficient_claims", claims="<base64>"` header. @param {string | null} header */
function challengeClaims(header) {
  if (header === null || !header.includes('insufficient_claims')) return undefined
  const match = /claims="([^"]*)"/.exec(header)
  return match?.[1] === undefined ? undefined : atob(match[1])
}

/** @param {number} ms */
const fmtMs = (ms) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1)) + ' ms'

/** `exp` as a local time plus how far away it is. @param {number} seconds */
function fmtExpiry(seconds) {
  const minutes = Math.round((seconds * 1000 - Date.now()) / 60_000)
  const away = Math.abs(minutes) >= 120 ? `${Math.round(minutes / 60)} h` : `${minutes} min`
  const at = new Date(seconds * 1000).toLocaleString([], {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  })
  return `${at} (${minutes >= 0 ? 'in ' + away : away.replace('-', '') + ' ago'})`
}

/** @param {unknown} value */
function fmtClaim(value) {
  if (Array.isArray(value)) return value.join(', ')
  if (typeof value === 'object' && value !== null) return JSON.stringify(value)
  return String(value)
}

const state = {
  /** @type {DemoConfig | undefined} */ config: undefined,
  /** @type {DemoUser | undefined} */ user: undefined,
  /** Tokens per user, in memory only. @type {Map<string, string>} */ tokens: new Map(),
  /** The claims of the last challenge, to satisfy. @type {string | undefined} */ pendingClaims: undefined,
}

async function main() {
  const response = await fetch('/demo/config')
  /** @type {DemoConfig} */
  const config = await response.json()
  state.config = config
  $('#env-badges').append(
    h('span', { class: 'pill mode' }, config.mode === 'emulator' ? 'Entra emulator' : 'Entra tenant'),
    h('span', { class: 'pill' }, `${config.cache} cache`),
    h(
      'span',
      { class: 'pill', 'data-testid': 'client-credential' },
      `client credential: ${config.middleTier.clientCredential}`,
    ),
  )
  const users = $('#users')
  for (const user of config.users) {
    const button = h(
      'button',
      { class: 'user', type: 'button', role: 'radio', 'aria-checked': 'false', 'data-user': user.id },
      h('span', { class: 'name' }, user.name),
      h('span', { class: 'upn' }, user.username),
      h('span', { class: 'scenario' }, user.scenario),
    )
    button.addEventListener('click', () => selectUser(user))
    users.append(button)
  }
  if (config.mode === 'entra') {
    $('#paste').hidden = false
    $('#new-token').hidden = true
    $('#burst').hidden = true
  } else if (config.users[0] !== undefined) {
    selectUser(config.users[0])
  }
  $('#call').addEventListener('click', () => void run(() => callMiddleTier()))
  $('#satisfy').addEventListener('click', () => void run(() => satisfyAndRetry()))
  $('#new-token').addEventListener('click', () => void run(() => newSignIn()))
  $('#burst').addEventListener('click', () => void run(() => burst(10)))
  $('#cae').addEventListener('click', () => void run(() => caeEvent()))
  await refreshStats()
}

/** @param {DemoUser} user */
function selectUser(user) {
  state.user = user
  state.pendingClaims = undefined
  $('#satisfy').hidden = true
  for (const button of document.querySelectorAll('.user')) {
    button.setAttribute('aria-checked', String(button.getAttribute('data-user') === user.id))
  }
}

/** Disables the buttons while a call runs. @param {() => Promise<void>} action */
async function run(action) {
  const buttons = /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('.actions button'))
  for (const button of buttons) button.disabled = true
  try {
    await action()
  } catch (error) {
    banner('bad', `Something failed: ${error instanceof Error ? error.message : String(error)}`)
  } finally {
    for (const button of buttons) button.disabled = false
    await refreshStats()
  }
}

/** A token for the selected user: the one held, else a sign-in (with claims when answering a challenge). @param {string} [claims] */
async function tokenFor(claims) {
  if (state.config?.mode === 'entra') {
    const pasted = /** @type {HTMLTextAreaElement} */ ($('#token-input')).value.trim()
    if (pasted === '') throw new Error('paste an access token for the middle tier first')
    return pasted
  }
  const user = state.user
  if (user === undefined) throw new Error('pick a user first')
  const held = state.tokens.get(user.id)
  if (held !== undefined && claims === undefined) return held
  const response = await fetch('/demo/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(claims === undefined ? { user: user.id } : { user: user.id, claims }),
  })
  if (!response.ok) throw new Error(`sign-in failed (HTTP ${response.status})`)
  const { accessToken } = await response.json()
  state.tokens.set(user.id, accessToken)
  return accessToken
}

/** Signs the selected user in again (a new token the middle tier has never seen) and shows it; calls nothing. */
async function newSignIn() {
  const user = state.user
  if (user === undefined) throw new Error('pick a user first')
  state.tokens.delete(user.id)
  const token = await tokenFor()
  renderClaims('#step-caller', decodeJwt(token), callerKeys)
  banner(
    'neutral',
    `Signed in again as ${user.name}: a new token, not sent anywhere yet. The next call exchanges it (cache miss), because the cache is keyed by the caller's token.`,
  )
}

/**
 * Signs in again and sends the new token in `count` calls at once. The middle tier makes one token request:
 * the first call's lookup misses and starts it, the calls that arrive while it runs wait for it (coalesced),
 * and any call that arrives after it finished is a cache hit.
 * @param {number} count
 */
async function burst(count) {
  const user = state.user
  if (user === undefined) throw new Error('pick a user first')
  state.tokens.delete(user.id)
  const token = await tokenFor()
  const startedAt = performance.now()
  const answers = await Promise.all(
    Array.from({ length: count }, async () => {
      const response = await fetch('/api/documents', { headers: { authorization: `Bearer ${token}` } })
      /** @type {{ chain?: Chain }} */
      const body = await response.json()
      return { status: response.status, chain: body.chain }
    }),
  )
  const latencyMs = performance.now() - startedAt
  const outcomes = { miss: 0, coalesced: 0, hit: 0 }
  for (const { chain } of answers) {
    const outcome = chain?.cache
    if (outcome === 'miss' || outcome === 'coalesced' || outcome === 'hit') outcomes[outcome]++
  }
  const ok = answers.filter((a) => a.status === 200).length
  // Every miss is the one lookup that started a token request; coalesced calls waited for it.
  const requests = outcomes.miss
  const first = answers[0]
  if (first !== undefined) {
    renderClaims('#step-caller', first.chain?.caller ?? decodeJwt(token), callerKeys)
    renderObo(first.chain?.obo)
    renderMiddle(first.status, first.chain)
  }
  for (const { status, chain } of answers) addHistory(status, chain, latencyMs)
  const result = $('#burst-result')
  result.hidden = false
  result.textContent = `${count} calls → ${requests} token request${requests === 1 ? '' : 's'} (${outcomes.miss} miss, ${outcomes.coalesced} coalesced, ${outcomes.hit} cache hit${outcomes.hit === 1 ? '' : 's'}; ${ok} of ${count} answered 200)`
  banner(
    ok === count ? 'ok' : 'bad',
    `Burst: ${count} concurrent calls with one new token → ${requests} token request${requests === 1 ? '' : 's'} to Entra, ${fmtMs(latencyMs)} for all.`,
  )
}

async function callMiddleTier() {
  const token = await tokenFor()
  await send(token)
}

async function satisfyAndRetry() {
  const claims = state.pendingClaims
  if (claims === undefined) return
  // What MSAL.js does with a claims challenge: acquire a new token interactively, passing the claims.
  const token = await tokenFor(claims)
  state.pendingClaims = undefined
  $('#satisfy').hidden = true
  await send(token)
}

async function caeEvent() {
  const oid = state.user?.oid ?? String(decodeJwt(await tokenFor())?.['oid'] ?? '')
  const response = await fetch('/demo/cae-event', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ oid }),
  })
  if (!response.ok) throw new Error(`CAE event failed (HTTP ${response.status})`)
  banner(
    'warn',
    'CAE event: the downstream API revoked this user’s earlier tokens. The next call gets a claims challenge from it, which the middle tier’s pipeline answers once with a fresh token.',
  )
}

/** @param {string} token */
async function send(token) {
  const startedAt = performance.now()
  const response = await fetch('/api/documents', { headers: { authorization: `Bearer ${token}` } })
  const latencyMs = performance.now() - startedAt
  const body = await response.json()
  /** @type {Chain | undefined} */
  const chain = body.chain
  renderClaims('#step-caller', chain?.caller ?? decodeJwt(token), callerKeys)
  renderObo(chain?.obo)
  renderMiddle(response.status, chain)
  addHistory(response.status, chain, latencyMs)
  const challenge = $('#challenge')
  challenge.hidden = true
  challenge.classList.remove('bad')

  if (response.ok) {
    renderDownstream(body.downstream?.body)
    const retried = chain?.caeRetried
      ? ' The downstream asked for claims (CAE); the pipeline got a fresh token and retried once.'
      : ''
    banner('ok', `200 OK · OBO token: ${tokenLabel(chain)} · ${fmtMs(latencyMs)} end to end.${retried}`)
    return
  }
  renderDownstream(undefined)
  const header = response.headers.get('www-authenticate')
  const claims = challengeClaims(header)
  $('#challenge-header').textContent = header ?? '(none)'
  $('#challenge-claims-row').hidden = claims === undefined
  $('#challenge-claims').textContent = claims ?? ''
  $('#challenge-source').textContent = `from ${body.source ?? 'middle tier'}`
  challenge.hidden = false
  const codes = Array.isArray(body.aadsts) && body.aadsts.length > 0 ? ` · AADSTS${body.aadsts.join(', AADSTS')}` : ''
  if (claims !== undefined && body.source === 'entra') {
    state.pendingClaims = claims
    $('#satisfy').hidden = false
    $('#challenge-title').textContent = 'Claims challenge: step-up required'
    $('#challenge-text').textContent =
      `Entra refused the exchange until the user satisfies Conditional Access (${body.entraError ?? body.error}${codes}). The middle tier relayed it as a 401; the front end gets a new token with these claims and retries.`
    banner('warn', `401 · ${body.error}${codes} · satisfy the challenge and retry.`)
  } else if (body.error === 'consent_required' || body.error === 'interaction_required') {
    challenge.classList.add('bad')
    $('#challenge-title').textContent = 'Consent required'
    $('#challenge-text').textContent =
      `The user has not consented to the middle tier calling the downstream API (${body.entraError ?? body.error}${codes}). The front end must send the user through interactive consent; retrying will not help.`
    banner('bad', `401 · ${body.error}${codes}`)
  } else {
    challenge.classList.add('bad')
    $('#challenge-title').textContent = `Refused: ${body.error ?? response.status}`
    $('#challenge-text').textContent = body.message ?? ''
    banner('bad', `${response.status} · ${body.error ?? 'error'}`)
  }
}

/** @param {string} selector @param {Claims | undefined} claims @param {string[]} keys */
function renderClaims(selector, claims, keys) {
  const card = $(selector)
  const list = /** @type {HTMLElement} */ (card.querySelector('dl'))
  const pre = /** @type {HTMLElement} */ (card.querySelector('pre'))
  const details = /** @type {HTMLElement} */ (card.querySelector('details'))
  list.replaceChildren()
  details.hidden = claims === undefined
  if (claims === undefined) {
    list.append(h('dt', {}, '—'), h('dd', {}, 'no token (the call stopped before it)'))
    pre.textContent = ''
    return
  }
  for (const key of keys) {
    if (!(key in claims)) continue
    const value = key === 'exp' ? fmtExpiry(Number(claims[key])) : fmtClaim(claims[key])
    const app = key === 'aud' || key === 'azp' || key === 'appid' ? appName(String(claims[key])) : undefined
    list.append(
      h('dt', {}, key),
      app === undefined ? h('dd', {}, value) : h('dd', {}, value, h('span', { class: 'app-name' }, app)),
    )
  }
  pre.textContent = JSON.stringify(claims, null, 2)
}

const callerKeys = ['name', 'preferred_username', 'aud', 'azp', 'scp', 'amr', 'exp']

/** The display name of the app registration a client ID or App ID URI belongs to. @param {string} id */
function appName(id) {
  return state.config?.apps.find((app) => app.ids.includes(id))?.name
}

/** The OBO token's claims, headed by the user it was issued for. @param {Claims | undefined} claims */
function renderObo(claims) {
  renderClaims('#step-obo', claims, ['aud', 'azp', 'scp', 'xms_cc', 'uti', 'exp'])
  const line = $('#step-obo .issued-for')
  line.replaceChildren()
  line.hidden = claims === undefined
  if (claims === undefined) return
  const name = claims['name']
  const username = claims['preferred_username'] ?? claims['upn'] ?? claims['unique_name']
  line.append(
    'Issued for ',
    h('strong', {}, typeof name === 'string' ? name : 'the user'),
    typeof username === 'string' ? ` (${username})` : '',
    ` · oid ${String(claims['oid'] ?? 'n/a')}`,
  )
}

/**
 * Where the OBO token of the call came from, from the last token lookup: after a downstream claims challenge
 * the retry's lookup bypasses the cache and gets a new token, whatever the first lookup found.
 * @param {Chain | undefined} chain
 */
function tokenLabel(chain) {
  const outcome = chain?.token ?? chain?.cache
  if (outcome === undefined) return 'n/a'
  if (outcome === 'claims-bypass') return 'new token after claims challenge'
  if (outcome === 'coalesced') return 'coalesced'
  return `cache ${outcome}`
}

/** The pill class of a chain's token outcome. @param {Chain | undefined} chain */
function tokenPillClass(chain) {
  const outcome = chain?.token ?? chain?.cache ?? ''
  return outcome === 'claims-bypass' ? 'new-token' : outcome
}

/** @param {number} status @param {Chain | undefined} chain */
function renderMiddle(status, chain) {
  const body = $('#step-middle .middle-body')
  body.replaceChildren()
  const row = h(
    'div',
    { class: 'row' },
    h('span', { class: `pill ${status === 200 ? 'hit' : 'bad'}` }, `HTTP ${status}`),
  )
  if (chain?.cache !== undefined) {
    row.append(h('span', { class: `pill ${tokenPillClass(chain)}`, 'data-testid': 'token-outcome' }, tokenLabel(chain)))
  }
  body.append(row)
  if (chain === undefined) return
  const t = chain.timings
  const max = Math.max(t.totalMs, 0.01)
  for (const [label, ms] of /** @type {[string, number][]} */ ([
    ['validate', t.validateMs],
    ['OBO token', t.tokenMs],
    ['downstream', t.downstreamMs],
    ['total', t.totalMs],
  ])) {
    const bar = h('span')
    bar.style.width = `${Math.max(2, (ms / max) * 100)}%`
    body.append(
      h(
        'div',
        { class: 'timing' },
        h('span', {}, label),
        h('div', { class: 'bar' }, bar),
        h('span', { class: 'ms' }, fmtMs(ms)),
      ),
    )
  }
  if (chain.caeRetried) {
    body.append(h('p', { class: 'note' }, 'Downstream CAE challenge → fresh token with claims → retried once.'))
  }
}

/** @param {unknown} answer */
function renderDownstream(answer) {
  const body = $('#step-downstream .downstream-body')
  body.replaceChildren()
  const documents =
    /** @type {{ documents?: { id: string, title: string, modified: string }[], user?: { name?: string } } | undefined} */ (
      answer
    )
  if (documents?.documents === undefined) {
    body.append(h('p', { class: 'empty' }, 'No answer: the call stopped before the downstream API.'))
    return
  }
  body.append(h('p', { class: 'hop' }, `Documents of ${documents.user?.name ?? 'the user'}`))
  const rows = documents.documents.map((d) =>
    h('tr', {}, h('td', {}, d.title), h('td', { class: 'num-cell' }, d.id), h('td', { class: 'num-cell' }, d.modified)),
  )
  body.append(
    h(
      'table',
      { class: 'documents' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Title'), h('th', {}, 'ID'), h('th', {}, 'Modified'))),
      h('tbody', {}, ...rows),
    ),
  )
}

/** @param {number} status @param {Chain | undefined} chain @param {number} latencyMs */
function addHistory(status, chain, latencyMs) {
  const row = h(
    'tr',
    {},
    h('td', { class: 'num-cell' }, new Date().toLocaleTimeString()),
    h('td', {}, state.user?.name ?? 'pasted token'),
    h('td', {}, h('span', { class: `pill ${status === 200 ? 'hit' : 'bad'}` }, String(status))),
    h(
      'td',
      {},
      chain?.cache === undefined ? '—' : h('span', { class: `pill ${tokenPillClass(chain)}` }, tokenLabel(chain)),
    ),
    h('td', { class: 'num-cell' }, chain === undefined ? '—' : fmtMs(chain.timings.tokenMs)),
    h('td', { class: 'num-cell' }, fmtMs(latencyMs)),
  )
  $('#history').prepend(row)
}

/** @param {'ok' | 'warn' | 'bad' | 'neutral'} kind @param {string} text */
function banner(kind, text) {
  const element = $('#banner')
  element.className = `banner ${kind}`
  element.textContent = text
}

async function refreshStats() {
  const response = await fetch('/api/stats')
  if (!response.ok) return
  const stats = await response.json()
  const list = $('#stats')
  list.replaceChildren()
  for (const [label, value] of [
    ['hits', stats.cache.hits],
    ['misses', stats.cache.misses],
    ['coalesced', stats.cache.coalesced],
  ]) {
    list.append(h('div', {}, h('dt', {}, label), h('dd', {}, String(value))))
  }
}

void main()
