import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { applyReasons } from './apply-reasons.ts'

const iv = (start: number, end: number, state: 'running' | 'down' | 'setup', reason?: string) =>
  reason === undefined ? { equipment: 'm', start, end, state } : { equipment: 'm', start, end, state, reason }

describe('applyReasons', () => {
  it('labels the covered part of a loss interval and leaves running time alone', () => {
    const out = applyReasons(
      [iv(0, 10, 'running'), iv(10, 30, 'down'), iv(30, 40, 'running')],
      [{ start: 5, end: 20, reason: 'breakdown' }],
    )
    assert.deepEqual(
      out.map((x) => [x.start, x.end, x.state, x.reason]),
      [
        [0, 10, 'running', undefined],
        [10, 20, 'down', 'breakdown'],
        [20, 30, 'down', undefined],
        [30, 40, 'running', undefined],
      ],
    )
  })

  it('keeps every millisecond: pieces add up to the interval', () => {
    const out = applyReasons(
      [iv(0, 100, 'setup')],
      [
        { start: 10, end: 20, reason: 'a' },
        { start: 50, end: 200, reason: 'b' },
      ],
    )
    assert.equal(
      out.reduce((s, x) => s + (x.end - x.start), 0),
      100,
    )
    assert.deepEqual(
      out.map((x) => x.reason),
      [undefined, 'a', undefined, 'b'],
    )
  })
})
