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

// Set-up happens inside the test, not in beforeAll: a failed hook reports the test as skipped, and a missing
// browser must fail it.
async function start(): Promise<{ stack: DemoStack; browser: Browser }> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: install it (apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH. The page test needs a real browser.`,
    )
  }
  stack = await startDemoStack()
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

it('drives the page: plain miss → hit, CAE retry, MFA challenge → satisfy → answer, consent error', async () => {
  const { stack, browser } = await start()
  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } })
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.goto(`${stack.url}/`)
  await expect.poll(() => page.locator('button.user').count()).toBe(3)

  // Plain user: the first call exchanges (miss), the second is served from the cache (hit).
  await callAs(page, 'plain')
  await page.locator('#banner.ok').waitFor()
  expect(await page.textContent('#step-middle')).toContain('cache miss')
  await page.click('#call')
  await expect.poll(() => page.textContent('#history tr:first-child')).toContain('hit')
  expect(await page.textContent('#step-obo')).toContain(stack.identity.middleTier.clientId)

  // CAE: the downstream revokes the session; the middle tier's pipeline answers its challenge once.
  await page.click('#cae')
  await page.locator('#banner.warn').waitFor()
  await page.click('#call')
  await page.locator('#banner.ok').waitFor()
  expect(await page.textContent('#banner')).toContain('retried once')
  expect(await page.textContent('#step-middle')).toContain('Downstream CAE challenge')

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
}, 60_000)
