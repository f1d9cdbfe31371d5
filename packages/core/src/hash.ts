/**
 * The runtime's synchronous SHA-256, picked by the `#sha256` import conditions (Node: `node:crypto`;
 * elsewhere: a portable implementation).
 *
 * @module
 */
export { sha256Base64Url, sha256Hex } from '#sha256'
