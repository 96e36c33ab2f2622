import assert from 'node:assert/strict'
import { it } from 'node:test'
import { busContract } from '../../test/contracts/bus.contract.ts'
import { createMemoryBus } from './memory-bus.ts'

const reported: string[] = []
busContract('memory', async () =>
  createMemoryBus({ onError: (err) => reported.push(err instanceof Error ? err.message : String(err)) }),
)

it('reports handler failures to onError instead of throwing at the publisher', async () => {
  const errors: string[] = []
  const bus = createMemoryBus({
    onError: (err, subject) => errors.push(`${subject}: ${(err as Error).message}`),
  })
  bus.subscribe('a.b', () => {
    throw new Error('sync')
  })
  bus.subscribe('a.>', async () => {
    throw new Error('async')
  })
  await bus.publish('a.b', 1)
  await new Promise((r) => setTimeout(r, 10))
  assert.deepEqual(errors.sort(), ['a.b: async', 'a.b: sync'])
  await bus.close()
})
