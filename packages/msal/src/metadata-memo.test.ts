import { beforeEach, describe, expect, it } from 'vitest'
import { clearMetadataMemo, memoisedMetadata, type MetadataResponse } from './metadata-memo.ts'

const ok: MetadataResponse = { status: 200, headers: {}, body: { token_endpoint: 'https://a/t/oauth2/v2.0/token' } }

describe('metadata memo', () => {
  beforeEach(() => {
    clearMetadataMemo()
  })

  it('loads a URL once, for concurrent and later callers', async () => {
    let loads = 0
    const load = async (): Promise<MetadataResponse> => {
      loads += 1
      await new Promise((resolve) => setTimeout(resolve, 10))
      return ok
    }
    const answers = await Promise.all([memoisedMetadata('https://a/x', load), memoisedMetadata('https://a/x', load)])
    await memoisedMetadata('https://a/x', load)
    expect(answers).toEqual([ok, ok])
    expect(loads).toBe(1)
    await memoisedMetadata('https://a/y', load)
    expect(loads).toBe(2)
  })

  it('keeps neither failures nor error answers', async () => {
    let loads = 0
    await expect(
      memoisedMetadata('https://a/x', () => {
        loads += 1
        return Promise.reject(new Error('down'))
      }),
    ).rejects.toThrow('down')
    await memoisedMetadata('https://a/x', () => {
      loads += 1
      return Promise.resolve({ status: 404, headers: {}, body: {} })
    })
    await new Promise((resolve) => setTimeout(resolve, 0))
    await memoisedMetadata('https://a/x', () => {
      loads += 1
      return Promise.resolve(ok)
    })
    expect(loads).toBe(3)
  })
})
