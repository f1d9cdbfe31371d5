/**
 * `@onbehalf/redis`: a distributed token cache for `@onbehalf` credentials. Memory (L1) in front of Redis (L2),
 * AES-256-GCM at rest with key rotation, and a failure policy under which a Redis outage is a cache miss,
 * never an auth outage. The Redis client (ioredis or node-redis) is injected; neither is a dependency.
 *
 * @module
 */
export { createRedisTokenCache } from './redis-token-cache.ts'
export type {
  CachedUser,
  EvictUserResult,
  RedisCacheEvent,
  RedisCacheEventType,
  RedisCacheStats,
  RedisCommandsTokenCacheOptions,
  RedisFailureReason,
  RedisTokenCache,
  RedisTokenCacheOptions,
  SingleFlightOptions,
} from './redis-token-cache.ts'
export type { IoredisSubscriberLike, NodeRedisSubscriberLike, RedisSubscriberLike } from './invalidation.ts'
export { fromIoredis, fromNodeRedis, toRedisCommands } from './redis-client.ts'
export type { IoredisLike, NodeRedisLike, RedisClientLike, RedisCommands } from './redis-client.ts'
export type { CacheEncryptionKey, DecodeFailure } from './codec.ts'
export type { CircuitState } from './circuit-breaker.ts'
