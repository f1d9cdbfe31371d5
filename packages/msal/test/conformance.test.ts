import { joseEngine } from '@onbehalf/jose'
import { msalEngine } from '../src/index.ts'
import { engineConformance } from './engine-conformance.ts'

engineConformance('msal', msalEngine)
engineConformance('jose', (config) => joseEngine(config))
