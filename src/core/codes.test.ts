import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  isIndustryCode,
  isRegionCode,
  isValidUscc,
  regionContains,
  regionLevel,
  usccCheckChar,
  usccProblem,
} from './codes.ts'

describe('unified social credit code (GB 32100-2015)', () => {
  it('accepts a code whose check character matches', () => {
    assert.equal(usccCheckChar('91350100M000100Y4'), '3')
    assert.equal(isValidUscc('91350100M000100Y43'), true)
  })
  it('names the problem with a bad code', () => {
    assert.equal(usccProblem('91350100M000100Y44'), 'check')
    assert.equal(usccProblem('91350100M000100Y4'), 'length')
    assert.equal(usccProblem('91350100M000100I43'), 'charset')
    assert.equal(usccProblem('91990100M000100Y43'), 'region')
  })
})

describe('region and industry codes', () => {
  it('knows levels and containment', () => {
    assert.equal(isRegionCode('440600'), true)
    assert.equal(isRegionCode('990600'), false)
    assert.equal(regionLevel('440000'), 'province')
    assert.equal(regionLevel('440600'), 'city')
    assert.equal(regionLevel('440604'), 'county')
    assert.equal(regionContains('440000', '441900'), true)
    assert.equal(regionContains('440600', '441900'), false)
    assert.equal(regionContains('440600', '440604'), true)
  })
  it('validates GB/T 4754 codes', () => {
    assert.equal(isIndustryCode('C'), true)
    assert.equal(isIndustryCode('C3360'), true)
    assert.equal(isIndustryCode('C33'), true)
    assert.equal(isIndustryCode('Z33'), false)
    assert.equal(isIndustryCode('C3'), false)
  })
})
