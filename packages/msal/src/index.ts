export { inspectMsalEngine, msalEngine } from './msal-engine.ts'
export type { MsalEngineDiagnostics } from './msal-engine.ts'
