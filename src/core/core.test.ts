import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { chooseBucketMs } from '../store/series/series-store.ts'
import { ManualClock, newId, RongheError } from './index.ts'

describe('core', () => {
  it('makes ids that sort by creation time', () => {
    const a = newId('pt', 1_000)
    const b = newId('pt', 2_000)
    assert.match(a, /^pt_[0-9a-z]{22}$/)
    assert.ok(a < b)
  })
  it('serialises a RongheError as {code, message, details}', () => {
    const e = new RongheError('X_Y', 'bad', { status: 404, details: { id: 1 } })
    assert.deepEqual(e.toJSON(), { code: 'X_Y', message: 'bad', details: { id: 1 } })
    assert.equal(e.status, 404)
  })
  it('advances a manual clock', () => {
    const c = new ManualClock(10)
    c.advance(5)
    assert.equal(c.now(), 15)
  })
  it('chooses a nice bucket width for a target count', () => {
    assert.equal(chooseBucketMs(0, 86_400_000, 500), 300_000)
    assert.equal(chooseBucketMs(0, 30 * 86_400_000, 720), 3_600_000)
  })
})
