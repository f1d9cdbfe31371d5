import { createJoseEngine } from '@onbehalf/jose'
import { createMsalEngine } from '../src/index.ts'
import { engineConformance } from './engine-conformance.ts'

engineConformance('msal', createMsalEngine())
engineConformance('jose', (config) => createJoseEngine()(config))
