import type { ShopModel } from './model.ts'
import { SchedulingErrors } from './scheduling-errors.ts'

/**
 * Reads the OR-Library `jobshop1.txt` style: '#' comments, "n m", then per job the (machine,
 * duration) pairs in route order, machines numbered from 0.
 */
export function parseJsspInstance(text: string, name = 'instance'): ShopModel {
  const nums: number[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    for (const tok of line.split(/\s+/)) {
      const v = Number(tok)
      if (!Number.isInteger(v) || v < 0) throw SchedulingErrors.invalidInstance(`${name}: bad token '${tok}'`)
      nums.push(v)
    }
  }
  const [n, m] = nums
  if (n === undefined || m === undefined || n <= 0 || m <= 0) {
    throw SchedulingErrors.invalidInstance(`${name}: missing "jobs machines" header`)
  }
  if (nums.length !== 2 + n * m * 2) {
    throw SchedulingErrors.invalidInstance(`${name}: expected ${n * m * 2} numbers after the header`, {
      got: nums.length - 2,
    })
  }
  const machines = Array.from({ length: m }, (_, i) => ({ id: `M${i}` }))
  const jobs = Array.from({ length: n }, (_, j) => ({
    id: `J${j}`,
    operations: Array.from({ length: m }, (_, k) => {
      const mach = nums[2 + (j * m + k) * 2]!
      const dur = nums[3 + (j * m + k) * 2]!
      if (mach >= m) throw SchedulingErrors.invalidInstance(`${name}: machine ${mach} out of range`)
      return { alternatives: [{ machine: `M${mach}`, duration: dur }] }
    }),
  }))
  return { machines, jobs }
}
