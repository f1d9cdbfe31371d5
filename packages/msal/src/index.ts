export { createMsalEngine } from './msal-engine.ts'
export type { MsalEngine, MsalEngineStats } from './msal-engine.ts'
