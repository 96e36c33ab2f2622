import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  derivePrefix,
  encodeHandlePath,
  isUnderPrefix,
  normalizeHandle,
  parseHandle,
  prefixAncestry,
  prefixProblem,
} from './handle-syntax.ts'
import {
  adminValue,
  delegationTarget,
  emailValue,
  filterValues,
  normalizeValues,
  nodeValue,
  siteValue,
  urlValue,
  valueProblems,
} from './handle-values.ts'
import { BUILTIN_TEMPLATES, fieldsToValues, templateProblems, validateFields } from './templates.ts'

describe('handle syntax', () => {
  it('parses prefix/suffix, lower-cases the prefix and keeps the suffix case', () => {
    assert.deepEqual(parseHandle('88.118.8/Pump-0001/A'), {
      prefix: '88.118.8',
      suffix: 'Pump-0001/A',
      handle: '88.118.8/Pump-0001/A',
    })
    assert.equal(normalizeHandle('20.500.ABC/X1'), '20.500.abc/X1')
    assert.notEqual(normalizeHandle('88.1/ab'), normalizeHandle('88.1/AB'))
  })

  it('rejects handles with a clear reason', () => {
    assert.throws(() => parseHandle('88.118'), /missing "\/"/)
    assert.throws(() => parseHandle('88..1/x'), /empty segment/)
    assert.throws(() => parseHandle('88.1/'), /empty suffix/)
    assert.throws(() => parseHandle('88.1/a b'), /U\+0020/)
    assert.throws(() => parseHandle('88.1/a\u0001'), /U\+0001/)
    assert.throws(() => parseHandle(`88.1/${'x'.repeat(256)}`), /255 UTF-8 bytes/)
    // 86 CJK characters = 258 UTF-8 bytes
    assert.throws(() => parseHandle(`88.1/${'泵'.repeat(86)}`), /255 UTF-8 bytes/)
    assert.equal(parseHandle(`88.1/${'泵'.repeat(85)}`).suffix.length, 85)
    assert.throws(
      () => parseHandle('88.1#/x'),
      (e: { code?: string }) => e.code === 'IDENT_INVALID_HANDLE',
    )
  })

  it('judges prefixes segment by segment', () => {
    assert.equal(prefixProblem('88.118.8'), null)
    assert.equal(prefixProblem('0.NA'), null)
    assert.match(prefixProblem('88.-x') ?? '', /segment "-x"/)
    assert.match(prefixProblem('1.2.3.4.5.6.7.8.9') ?? '', /more than 8 segments/)
    assert.deepEqual(prefixAncestry('88.118.8'), ['88.118.8', '88.118', '88'])
    assert.equal(isUnderPrefix('88.118.8', '88.118'), true)
    assert.equal(isUnderPrefix('88.1180', '88.118'), false)
    assert.equal(derivePrefix('88.118', '8'), '88.118.8')
    assert.equal(encodeHandlePath('88.1/a/b c?'.replace(' ', '_')), '88.1/a/b_c%3F')
  })
})

describe('handle values', () => {
  it('completes defaults and sorts by index', () => {
    const vs = normalizeValues([emailValue(2, 'qa@example.cn'), urlValue(1, 'https://example.cn/p/1')], 1000)
    assert.deepEqual(
      vs.map((v) => [v.index, v.type, v.ttl, v.timestamp, v.permissions.publicRead]),
      [
        [1, 'URL', 86400, 1000, true],
        [2, 'EMAIL', 86400, 1000, true],
      ],
    )
  })

  it('reports each bad value with its position, index and field', () => {
    const problems = valueProblems([
      urlValue(1, 'not a url'),
      emailValue(1, 'a@b.cn'),
      { index: 0, type: 'X', data: { format: 'string', value: 'v' } },
      adminValue(100, { handle: '0.NA/88.1', index: 200, permissions: '0111' }),
      siteValue(3, { host: '10.0.0.8' }),
      nodeValue(4, 'ftp://x'),
    ])
    assert.deepEqual(
      problems.map((p) => [p.at, p.field, p.code]),
      [
        [0, 'data.value', 'url'],
        [1, 'index', 'duplicate'],
        [2, 'index', 'index'],
        [3, 'data.value.permissions', 'permissions'],
        [4, 'data.value', 'site'],
        [5, 'data.value', 'url'],
      ],
    )
    assert.throws(
      () => normalizeValues([urlValue(1, 'x')], 0),
      (e: { code?: string }) => e.code === 'IDENT_INVALID_VALUE',
    )
  })

  it('finds the delegation target of RONGHE_NODE and HS_SITE values', () => {
    const [n, s, s6] = normalizeValues(
      [
        nodeValue(1, 'http://127.0.0.1:9000/'),
        siteValue(2, { host: '10.1.2.3', httpPort: 8000 }),
        siteValue(3, { host: '::1', httpPort: 8080, ipType: 6 }),
      ],
      0,
    )
    assert.equal(delegationTarget(n!), 'http://127.0.0.1:9000')
    assert.equal(delegationTarget(s!), 'http://10.1.2.3:8000')
    assert.equal(delegationTarget(s6!), 'http://[::1]:8080')
  })

  it('filters by type (with subtypes) and index as a union', () => {
    const vs = normalizeValues(
      [
        urlValue(1, 'https://a.cn'),
        { ...urlValue(2, 'https://b.cn'), type: 'URL.mirror' },
        emailValue(3, 'x@y.cn'),
      ],
      0,
    )
    assert.deepEqual(
      filterValues(vs, { types: ['URL'] }).map((v) => v.index),
      [1],
    )
    assert.deepEqual(
      filterValues(vs, { types: ['url.'] }).map((v) => v.index),
      [1, 2],
    )
    assert.deepEqual(
      filterValues(vs, { types: ['EMAIL'], indexes: [1] }).map((v) => v.index),
      [1, 3],
    )
    assert.deepEqual(
      filterValues(vs, {}).map((v) => v.index),
      [1, 2, 3],
    )
  })
})

describe('metadata templates', () => {
  const part = BUILTIN_TEMPLATES.find((t) => t.id === 'part')!

  it('accepts a complete part and maps fields to values at fixed indexes', () => {
    const fields = {
      model: 'XP-200',
      serial: 'S0001',
      manufacturer: '宁波泵业',
      productionDate: '2026-03-01',
      gtin: '6901234567892',
    }
    assert.deepEqual(validateFields(part, fields), [])
    assert.deepEqual(
      fieldsToValues(part, fields).map((v) => [v.index, v.type, v.data.value]),
      [
        [2000, 'model', 'XP-200'],
        [2001, 'serial', 'S0001'],
        [2003, 'manufacturer', '宁波泵业'],
        [2004, 'productionDate', '2026-03-01'],
        [2005, 'gtin', '6901234567892'],
      ],
    )
  })

  it('lists every field error', () => {
    const errors = validateFields(part, {
      model: 'XP-200',
      productionDate: '2026-02-30',
      gtin: '6901234567891',
      colour: 'red',
    })
    assert.deepEqual(
      errors.map((e) => [e.field, e.code]),
      [
        ['colour', 'unknown'],
        ['serial', 'required'],
        ['manufacturer', 'required'],
        ['productionDate', 'type'],
        ['gtin', 'check_digit'],
      ],
    )
  })

  it('checks template definitions', () => {
    assert.deepEqual(templateProblems(part), [])
    assert.deepEqual(
      templateProblems({
        id: 'Bad Id',
        version: 0,
        category: 'x',
        fields: [{ name: 'a', index: 1001, kind: 'enum', required: true }],
      }),
      [
        'id must be 1–64 of a-z 0-9 _ -',
        'version must be an integer ≥ 1',
        'field "a": index 1001 is invalid or reserved',
        'field "a": enum needs values',
      ],
    )
  })
})
