export { joseEngine } from './jose-engine.ts'
export type { JoseEngineOptions } from './jose-engine.ts'
export type { SigningAlgorithm } from './client-assertion.ts'
export { InvalidResponseError } from '@onbehalf/core'
// Re-exported for callers of earlier builds: authority validation lives in core, shared by both engines.
export { clearAuthorityValidationMemo, knownAuthorityHosts } from '@onbehalf/core'
