import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRongheError } from '../core/index.ts'
import { compileExpression, type ExprValue, parseExpression } from './expression.ts'
import type { ExpressionErrorDetails } from './rules-errors.ts'

function errorOf(fn: () => unknown): { code: string; details: ExpressionErrorDetails } {
  try {
    fn()
  } catch (e) {
    if (isRongheError(e)) return { code: e.code, details: e.details as ExpressionErrorDetails }
    throw e
  }
  throw new Error('expected an error')
}

const values =
  (v: Record<string, ExprValue>) =>
  (name: string): ExprValue | undefined =>
    v[name]

describe('expression language', () => {
  it('evaluates the issue example with precedence of * over > over &&', () => {
    const e = compileExpression('motor_current > 1.2 * rated_current && state == "running"', {
      resultType: 'boolean',
    })
    assert.deepEqual(e.references, ['motor_current', 'rated_current', 'state'])
    assert.equal(e.evaluate(values({ motor_current: 12.1, rated_current: 10, state: 'running' })), true)
    assert.equal(e.evaluate(values({ motor_current: 11.9, rated_current: 10, state: 'running' })), false)
    assert.equal(e.evaluate(values({ motor_current: 12.1, rated_current: 10, state: 'idle' })), false)
  })

  it('computes arithmetic with the usual precedence and associativity', () => {
    const ev = (s: string): ExprValue | undefined => compileExpression(s).evaluate(() => undefined)
    assert.equal(ev('1 + 2 * 3'), 7)
    assert.equal(ev('(1 + 2) * 3'), 9)
    assert.equal(ev('10 - 4 - 3'), 3)
    assert.equal(ev('2 * -3'), -6)
    assert.equal(ev('7 % 4'), 3)
    assert.equal(ev('1.5e2 / 3'), 50)
    assert.equal(ev('!(1 > 2) || false'), true)
    assert.equal(ev('1 != 2 && "a" == \'a\''), true)
  })

  it('offers abs, min, max, sqrt, round, clamp, floor, ceil and pow', () => {
    const ev = (s: string): ExprValue | undefined => compileExpression(s).evaluate(() => undefined)
    assert.equal(ev('abs(-2.5)'), 2.5)
    assert.equal(ev('min(3, 1, 2)'), 1)
    assert.equal(ev('max(3, 1, 2)'), 3)
    assert.equal(ev('sqrt(16)'), 4)
    assert.equal(ev('round(2.345, 2)'), 2.35)
    assert.equal(ev('round(2.5)'), 3)
    assert.equal(ev('clamp(15, 0, 10)'), 10)
    assert.equal(ev('clamp(-1, 0, 10)'), 0)
    assert.equal(ev('floor(2.7) + ceil(2.1)'), 5)
    assert.equal(ev('pow(2, 10)'), 1024)
  })

  it('reads quoted point names, dotted names and Chinese names', () => {
    const e = compileExpression('point("Line 1/Motor current") + line1.motor.temp + 电流')
    assert.deepEqual(e.references, ['Line 1/Motor current', 'line1.motor.temp', '电流'])
    assert.equal(e.evaluate(values({ 'Line 1/Motor current': 1, 'line1.motor.temp': 2, 电流: 3 })), 6)
  })

  it('gives no answer for missing data, division by zero and run-time type mismatch', () => {
    const e = compileExpression('a / b > 1')
    assert.equal(e.evaluate(values({ a: 1 })), undefined)
    assert.equal(e.evaluate(values({ a: 1, b: 0 })), undefined)
    assert.equal(e.evaluate(values({ a: 'x', b: 1 })), undefined)
    assert.equal(compileExpression('sqrt(x)').evaluate(values({ x: -1 })), undefined)
  })

  it('uses three-valued logic so a known side can decide && and ||', () => {
    const and = compileExpression('running && temp > 80')
    assert.equal(and.evaluate(values({ running: false })), false)
    assert.equal(and.evaluate(values({ running: true })), undefined)
    const or = compileExpression('temp > 80 || tripped')
    assert.equal(or.evaluate(values({ tripped: true })), true)
    assert.equal(or.evaluate(values({ tripped: false })), undefined)
  })

  it('reports a parse error with its position, line, column and what was expected', () => {
    const e = errorOf(() => compileExpression('a > 1 &&\n  (b < 2'))
    assert.equal(e.code, 'RULES_EXPRESSION_INVALID')
    assert.deepEqual(e.details, {
      position: 17,
      line: 2,
      column: 9,
      expected: '")"',
      found: 'end of input',
    })
  })

  it('points at the offending character for bad tokens, single "=", and trailing input', () => {
    assert.deepEqual(
      { ...errorOf(() => parseExpression('a = 1')).details },
      {
        position: 2,
        line: 1,
        column: 3,
        expected: '"==" (single "=" is not an operator)',
        found: '"= 1"',
      },
    )
    const amp = errorOf(() => parseExpression('a & b')).details
    assert.equal(amp.position, 2)
    assert.equal(amp.expected, '"&&"')
    const hash = errorOf(() => parseExpression('x # 2')).details
    assert.equal(hash.position, 2)
    const trailing = errorOf(() => parseExpression('a b')).details
    assert.deepEqual([trailing.position, trailing.expected], [2, 'an operator or end of input'])
    const str = errorOf(() => parseExpression('s == "abc')).details
    assert.deepEqual([str.position, str.expected], [9, 'closing "'])
    const chained = errorOf(() => parseExpression('1 < x < 3')).details
    assert.deepEqual([chained.position, chained.expected], [6, 'parentheses around a chained comparison'])
    const empty = errorOf(() => parseExpression('')).details
    assert.deepEqual([empty.position, empty.found], [0, 'end of input'])
    const pointArg = errorOf(() => parseExpression('point(x)')).details
    assert.deepEqual([pointArg.position, pointArg.expected], [6, 'a quoted point name'])
  })

  it('type checks literals and declared point types, with the position of the bad operand', () => {
    const num = errorOf(() => compileExpression('1 + "a"')).details
    assert.deepEqual([num.position, num.expected, num.found], [4, 'a number', 'a string'])
    const and = errorOf(() => compileExpression('x > 1 && 3')).details
    assert.deepEqual([and.position, and.expected], [9, 'a boolean'])
    const eq = errorOf(() =>
      compileExpression('state == 1', { types: (n) => (n === 'state' ? 'string' : undefined) }),
    ).details
    assert.deepEqual([eq.position, eq.expected, eq.found], [9, 'a string', 'a number'])
    const fn = errorOf(() => compileExpression('foo(1)')).details
    assert.equal(fn.found, 'foo')
    const arity = errorOf(() => compileExpression('clamp(1, 2)')).details
    assert.deepEqual([arity.position, arity.expected, arity.found], [0, '3 argument(s) for clamp', '2'])
    const result = errorOf(() => compileExpression('x + 1', { resultType: 'boolean' })).details
    assert.equal(result.expected, 'an expression giving a boolean')
  })

  it('refuses over-long and too deeply nested input instead of recursing without bound', () => {
    const deep = `${'('.repeat(100)}1${')'.repeat(100)}`
    assert.equal(errorOf(() => parseExpression(deep)).details.expected, 'nesting depth at most 64')
    assert.equal(errorOf(() => parseExpression('1+'.repeat(3000) + '1')).code, 'RULES_EXPRESSION_INVALID')
  })

  it('never reaches JavaScript globals', () => {
    const e = compileExpression('constructor == "x" || process > 0')
    assert.equal(
      e.evaluate(() => undefined),
      undefined,
    )
    assert.equal(errorOf(() => compileExpression('this.constructor("x")')).code, 'RULES_EXPRESSION_INVALID')
  })
})
