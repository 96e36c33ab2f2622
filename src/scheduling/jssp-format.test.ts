import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseJsspInstance } from './jssp-format.ts'

describe('parseJsspInstance', () => {
  it('reads the OR-Library job-shop format', () => {
    const m = parseJsspInstance('# tiny\n2 2\n0 3 1 2\n1 4  0 1\n')
    assert.equal(m.jobs.length, 2)
    assert.equal(m.machines.length, 2)
    assert.deepEqual(m.jobs[1]!.operations[0]!.alternatives, [{ machine: 'M1', duration: 4 }])
    assert.deepEqual(m.jobs[1]!.operations[1]!.alternatives, [{ machine: 'M0', duration: 1 }])
  })

  it('rejects a truncated file and an out-of-range machine with a stable code', () => {
    assert.throws(() => parseJsspInstance('2 2\n0 3 1 2\n'), { code: 'SCHED_INVALID_INSTANCE' })
    assert.throws(() => parseJsspInstance('1 2\n0 3 2 2\n'), { code: 'SCHED_INVALID_INSTANCE' })
  })
})
