/**
 * The audiences Entra accepts on a federated identity credential, one per cloud.
 *
 * @module
 */

/**
 * The token-exchange audience of each cloud: the `aud` a platform token must carry for Entra to accept it as
 * a client assertion (and the one audience of the matching federated identity credential).
 *
 * @example
 * ```ts
 * managedIdentityAssertion({ audience: TokenExchangeAudiences.usGovernment })
 * ```
 */
export const TokenExchangeAudiences = {
  public: 'api://AzureADTokenExchange',
  usGovernment: 'api://AzureADTokenExchangeUSGov',
  china: 'api://AzureADTokenExchangeChina',
} as const

/** The public cloud's token-exchange audience, the default everywhere. */
export const defaultTokenExchangeAudience = TokenExchangeAudiences.public
