// A Vitest reporter that writes the run's unhandled errors (errors outside any test: an unhandled rejection, an
// error thrown after a test ended, a worker that died) to the JSON file named by ONBEHALF_UNHANDLED_JSON. Vitest's
// JSON reporter leaves them out, and they are what makes a run with no failed test exit non-zero; `scripts/test.mjs`
// and CI's closing summary print them from this file.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** First lines of a stack: enough to find the place, not a wall of frames. */
const head = (text, lines) =>
  String(text ?? '')
    .split('\n')
    .slice(0, lines)
    .join('\n')

export default class UnhandledErrorsReporter {
  onTestRunEnd(_testModules, unhandledErrors) {
    const file = process.env.ONBEHALF_UNHANDLED_JSON
    if (!file) return
    const errors = unhandledErrors.map((error) => ({
      name: String(error?.name ?? 'Error'),
      message: head(error?.message, 3).slice(0, 500),
      stack: head(error?.stack, 8),
      ...(error?.VITEST_TEST_PATH ? { testPath: String(error.VITEST_TEST_PATH) } : {}),
      ...(error?.VITEST_TEST_NAME ? { testName: String(error.VITEST_TEST_NAME) } : {}),
      ...(error?.type ? { type: String(error.type) } : {}),
    }))
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, `${JSON.stringify(errors, null, 2)}\n`)
  }
}
