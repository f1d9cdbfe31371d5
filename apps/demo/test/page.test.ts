import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, expect, it } from 'vitest'
import { startDemoStack, type DemoStack } from '../src/stack.ts'

const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'
const screenshotDir = process.env['DEMO_SCREENSHOT_DIR'] ?? tmpdir()

let stack: DemoStack | undefined
let browser: Browser | undefined

// The burst check holds one token request until a concurrent call has joined it (the middle tier counts a
// `coalesced` lookup), so coalescing is observed by counting, whatever the machine's speed.
let hold: { released: Promise<void>; release: () => void; reached: () => void; wasReached: Promise<void> } | undefined
function holdNextTokenRequest(fetch: typeof globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    const current = hold
    hold = undefined
    if (current !== undefined) {
      current.reached()
      await current.released
    }
    return fetch(input, init)
  }
}
function armHold(): NonNullable<typeof hold> {
  let release = (): void => undefined
  let reached = (): void => undefined
  const released = new Promise<void>((resolve) => (release = resolve))
  const wasReached = new Promise<void>((resolve) => (reached = resolve))
  hold = { released, release, reached, wasReached }
  return hold
}

const oboGrant = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

// Set-up happens inside the test, not in beforeAll: a failed hook reports the test as skipped, and a missing
// browser must fail it.
async function start(): Promise<{ stack: DemoStack; browser: Browser }> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: install it (apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH. The page test needs a real browser.`,
    )
  }
  stack = await startDemoStack({ wrapTokenFetch: holdNextTokenRequest })
  browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
  return { stack, browser }
}

afterAll(async () => {
  await browser?.close()
  await stack?.close()
})

async function callAs(page: Page, userId: string): Promise<void> {
  await page.click(`button.user[data-user="${userId}"]`)
  await page.click('#call')
}

it('drives the page: plain miss → hit, app names, CAE retry, sign-in, burst, MFA challenge → satisfy, consent error', async () => {
  const { stack, browser } = await start()
  const emu = stack.identity.emulator
  if (emu === undefined) throw new Error('the page test runs against the emulator')
  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } })
  const pageErrors: string[] = []
  const notFound: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('response', (response) => {
    if (response.status() === 404) notFound.push(response.url())
  })
  await page.goto(`${stack.url}/`)
  await expect.poll(() => page.locator('button.user').count()).toBe(3)
  expect(await page.textContent('#what-is-obo')).toContain('What is On-Behalf-Of?')
  const icon = await page.getAttribute('link[rel="icon"]', 'href')
  expect(icon).toBe('/favicon.svg')
  const iconResponse = await page.request.get(`${stack.url}${icon ?? ''}`)
  expect(iconResponse.status()).toBe(200)
  expect(iconResponse.headers()['content-type']).toContain('image/svg+xml')
  const { frontEnd, middleTier, downstream } = emu.defaults

  // Plain user: the first call exchanges (miss), the second is served from the cache (hit).
  await callAs(page, 'plain')
  await page.locator('#banner.ok').waitFor()
  expect(await page.textContent('#step-middle')).toContain('cache miss')
  await page.click('#call')
  await expect.poll(() => page.textContent('#history tr:first-child')).toContain('cache hit')
  expect(await page.textContent('#step-obo')).toContain(stack.identity.middleTier.clientId)
  // Bare GUIDs come with the app registration's name.
  const caller = await page.textContent('#step-caller')
  expect(caller).toContain(`${middleTier.clientId}${middleTier.app.displayName}`)
  expect(caller).toContain(`${frontEnd.clientId}${frontEnd.app.displayName}`)
  const obo = await page.textContent('#step-obo')
  expect(obo).toMatch(
    new RegExp(`(${downstream.clientId}|${downstream.appIdUri})${downstream.app.displayName.replace(/[()]/g, '\\$&')}`),
  )
  expect(obo).toContain(`${middleTier.clientId}${middleTier.app.displayName}`)
  // The OBO token card says whom the token was issued for.
  const issuedFor = await page.textContent('[data-testid="obo-user"]')
  expect(issuedFor).toContain(emu.defaults.users.plain.name)
  expect(issuedFor).toContain(emu.defaults.users.plain.upn)
  expect(issuedFor).toContain(emu.defaults.users.plain.oid)

  // CAE: the downstream revokes the session; the middle tier's pipeline answers its challenge once.
  await page.click('#cae')
  await page.locator('#banner.warn').waitFor()
  await page.click('#call')
  await page.locator('#banner.ok').waitFor()
  expect(await page.textContent('#banner')).toContain('retried once')
  expect(await page.textContent('#step-middle')).toContain('Downstream CAE challenge')
  // The retry got a new token: the row says so, not "cache hit" (the first lookup's outcome).
  expect(await page.textContent('[data-testid="token-outcome"]')).toBe('new token after claims challenge')
  expect(await page.textContent('#history tr:first-child')).toContain('new token after claims challenge')
  expect(await page.textContent('#history tr:first-child')).not.toContain('cache hit')
  expect(await page.textContent('#banner')).toContain('new token after claims challenge')

  // "New sign-in" signs in and calls nothing.
  const requestsBefore = stack.middleTier.stats().requests
  const rowsBefore = await page.locator('#history tr').count()
  await page.click('#new-token')
  await expect.poll(() => page.textContent('#banner')).toContain('Signed in again as Adele Vance')
  expect(stack.middleTier.stats().requests).toBe(requestsBefore)
  expect(await page.locator('#history tr').count()).toBe(rowsBefore)

  // Burst: 10 concurrent calls with one new token → one token request at the emulator, the others coalesced
  // (or, arriving after it finished, cache hits).
  const oboRequestsBefore = emu.requestCounts().byGrantType[oboGrant] ?? 0
  const coalescedBefore = stack.middleTier.stats().cache.coalesced
  const held = armHold()
  await page.click('#burst')
  await held.wasReached
  await expect
    .poll(() => stack.middleTier.stats().cache.coalesced, { timeout: 60_000 })
    .toBeGreaterThan(coalescedBefore)
  held.release()
  await page.locator('#burst-result').waitFor({ state: 'visible' })
  expect(await page.textContent('#burst-result')).toMatch(/^10 calls → 1 token request \(1 miss, [1-9]\d* coalesced/)
  expect(await page.textContent('#burst-result')).toContain('10 of 10 answered 200')
  expect(emu.requestCounts().byGrantType[oboGrant] ?? 0).toBe(oboRequestsBefore + 1)
  await expect
    .poll(async () => Number(await page.textContent('#stats div:nth-child(3) dd')))
    .toBeGreaterThan(coalescedBefore)
  expect(await page.textContent('#stats div:nth-child(3) dt')).toBe('coalesced')
  await page.screenshot({ path: join(screenshotDir, 'demo-burst.png'), fullPage: true })

  // MFA user: the middle tier relays Entra's claims challenge; the page satisfies it and retries.
  await callAs(page, 'mfa')
  await page.locator('#challenge').waitFor({ state: 'visible' })
  expect(await page.textContent('#challenge-header')).toContain('error="insufficient_claims"')
  expect(await page.textContent('#challenge-claims')).toContain('capolids')
  expect(await page.textContent('#banner')).toContain('50076')
  expect(await page.locator('#step-downstream table').count()).toBe(0)
  await page.screenshot({ path: join(screenshotDir, 'demo-mfa-challenge.png'), fullPage: true })
  await page.locator('#satisfy').waitFor({ state: 'visible' })
  await page.click('#satisfy')
  await page.locator('#banner.ok').waitFor()
  await page.locator('#step-downstream table tbody tr').first().waitFor()
  expect(await page.locator('#challenge').isHidden()).toBe(true)
  expect(await page.textContent('#step-caller')).toContain('mfa')
  expect(await page.textContent('#step-downstream')).toContain('Megan Bowen')
  await page.screenshot({ path: join(screenshotDir, 'demo.png'), fullPage: true })

  // Consent-missing user: the consent error, no downstream answer, no retry offered.
  await callAs(page, 'consent')
  await page.locator('#challenge.bad').waitFor({ state: 'visible' })
  expect(await page.textContent('#challenge-title')).toContain('Consent required')
  expect(await page.textContent('#banner')).toContain('65001')
  expect(await page.locator('#satisfy').isHidden()).toBe(true)
  await page.screenshot({ path: join(screenshotDir, 'demo-consent.png'), fullPage: true })

  expect(pageErrors).toEqual([])
  expect(notFound).toEqual([])
}, 120_000)
