/**
 * `@onbehalf/jose`: the On-Behalf-Of protocol over `fetch`, client assertions signed by `jose`.
 *
 * @module
 */
export { createJoseEngine } from './jose-engine.ts'
export type { JoseEngineOptions } from './jose-engine.ts'
export type { SigningAlgorithm } from './client-assertion.ts'
export { InvalidResponseError } from '@onbehalf/core'
