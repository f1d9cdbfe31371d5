/**
 * Starts a real Redis Cluster of three masters (no replicas) from `redis-server --cluster-enabled yes`
 * processes on loopback, each in its own temporary directory, joined with `redis-cli --cluster create`.
 * Stopped by pid; the directories are removed.
 */
import { execFile } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { freePort, launch, redisServerBinary } from '@onbehalf/test-kit/redis-server'

const run = promisify(execFile)
const redisCli = process.env['REDIS_CLI_BIN'] ?? join(dirname(redisServerBinary), 'redis-cli')

export interface ClusterNode {
  readonly port: number
  readonly pid: number
  /** Kills this master by its pid (its slots become unavailable: no replica takes over). */
  kill(): Promise<void>
}

export interface RedisCluster {
  readonly nodes: readonly ClusterNode[]
  stop(): Promise<void>
}

export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const children: { port: number; child: ChildProcess; dir: string }[] = []
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort()
      const busPort = await freePort()
      const dir = mkdtempSync(join(tmpdir(), 'onbehalf-redis-cluster-'))
      const child = await launch(port, [
        '--cluster-enabled',
        'yes',
        '--cluster-port',
        String(busPort),
        '--cluster-config-file',
        join(dir, 'nodes.conf'),
        '--cluster-node-timeout',
        '2000',
        '--dir',
        dir,
      ])
      children.push({ port, child, dir })
    }
    await run(redisCli, [
      '--cluster',
      'create',
      ...children.map(({ port }) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ])
    // Every node must agree the cluster is up before clients use it.
    for (const { port } of children) {
      for (let attempt = 0; ; attempt++) {
        const { stdout } = await run(redisCli, ['-p', String(port), 'cluster', 'info'])
        if (stdout.includes('cluster_state:ok')) break
        if (attempt > 200) throw new Error(`cluster node ${port} did not reach cluster_state:ok`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
  } catch (error) {
    await stopAll(children)
    throw error
  }
  return {
    nodes: children.map(({ port, child }) => ({
      port,
      pid: child.pid as number,
      kill: () => stopOne(child),
    })),
    stop: () => stopAll(children),
  }
}

async function stopOne(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.kill(child.pid, 'SIGKILL')
  await exited
}

async function stopAll(children: readonly { child: ChildProcess; dir: string }[]): Promise<void> {
  await Promise.all(children.map(({ child }) => stopOne(child)))
  for (const { dir } of children) rmSync(dir, { recursive: true, force: true })
}
