import { describe, expect, it } from 'vitest'
import { createEntryVersions } from './entry-versions.ts'

describe('createEntryVersions', () => {
  it('gives a replacement a version after every one seen, even when the clock is behind', () => {
    let time = 1_000
    const versions = createEntryVersions(10, () => time)
    expect(versions.next('a')).toBe(1_000)
    versions.saw('a', 5_000) // another instance, its clock ahead
    expect(versions.next('a')).toBe(5_001)
    time = 9_000
    expect(versions.next('a')).toBe(9_000)
  })

  it('calls only a version older than one seen a rollback, and never lowers what it saw', () => {
    const versions = createEntryVersions(10, () => 0)
    expect(versions.isRollback('a', 1)).toBe(false)
    versions.saw('a', 10)
    versions.saw('a', 3)
    expect(versions.isRollback('a', 9)).toBe(true)
    expect(versions.isRollback('a', 10)).toBe(false)
    expect(versions.isRollback('a', 11)).toBe(false)
    expect(versions.isRollback('b', 0)).toBe(false)
  })

  it('forgets the least recently advanced entries beyond its bound', () => {
    const versions = createEntryVersions(2, () => 0)
    versions.saw('a', 1)
    versions.saw('b', 1)
    versions.saw('a', 2)
    versions.saw('c', 1)
    expect(versions.size).toBe(2)
    expect(versions.isRollback('b', 0)).toBe(false)
    expect(versions.isRollback('a', 1)).toBe(true)
  })
})
