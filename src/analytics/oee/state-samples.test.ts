import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { samplesToIntervals } from './state-samples.ts'

const MIN = 60_000

describe('state samples → intervals', () => {
  it('holds each state until the next sample, merges repeats and leaves silence uncovered', () => {
    const r = samplesToIntervals(
      'M1',
      [
        { ts: 0, state: 'running' },
        { ts: MIN, state: 'running' },
        { ts: 2 * MIN, state: 'down', reason: 'jam' },
        { ts: 3 * MIN, state: 'running' },
        { ts: 10 * MIN, state: 'idle' }, // 7 minutes of silence before this one
      ],
      { maxHoldMs: MIN },
    )
    assert.deepEqual(r, [
      { equipment: 'M1', start: 0, end: 2 * MIN, state: 'running' },
      { equipment: 'M1', start: 2 * MIN, end: 3 * MIN, state: 'down', reason: 'jam' },
      { equipment: 'M1', start: 3 * MIN, end: 4 * MIN, state: 'running' },
      { equipment: 'M1', start: 10 * MIN, end: 11 * MIN, state: 'idle' },
    ])
  })
})
