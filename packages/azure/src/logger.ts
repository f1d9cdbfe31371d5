/**
 * The package's logger, `azure:onbehalf`, through `@azure/logger` so `AZURE_LOG_LEVEL` and `setLogLevel`
 * work as for every Azure SDK client. Lines name scopes, tenants, codes and hashes: never a token, an
 * assertion or a secret.
 *
 * @module
 */
import { createClientLogger } from '@azure/logger'

/**
 * The logger of `@onbehalf/azure`.
 *
 * @example
 * ```ts
 * if (logger.info.enabled) logger.info('OnBehalfOfCredential.getToken succeeded')
 * ```
 */
export const logger = createClientLogger('onbehalf')
