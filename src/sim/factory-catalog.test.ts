import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isIndustryCode, isValidUscc, regionContains } from '../core/index.ts'
import { buildEnterprises, listEquipment, makeUscc, orgCodeCheckChar } from './factory-catalog.ts'

describe('virtual factory catalogue', () => {
  const enterprises = buildEnterprises()
  const placed = listEquipment(enterprises)

  it('computes GB 11714 organisation-code check characters', () => {
    // M22·3 + A10·7 + 4·9 + U30·10 + K20·5 + T29·8 + 8·4 + E14·2 = 864; 864 mod 11 = 6; 11 − 6 = 5
    assert.equal(orgCodeCheckChar('MA4UKT8E'), '5')
    // only the last weight (2) counts here: 1·2 = 2 → 11 − 2 = 9; 6·2 = 12 ≡ 1 → 10 → X; 0 → 11 → 0
    assert.equal(orgCodeCheckChar('00000001'), '9')
    assert.equal(orgCodeCheckChar('00000006'), 'X')
    assert.equal(orgCodeCheckChar('00000000'), '0')
  })

  it('has three enterprises in two provinces with valid codes', () => {
    assert.deepEqual(
      enterprises.map((e) => [e.key, e.regionCode, e.industryCode]),
      [
        ['fs-diecast', '440600', 'C3392'],
        ['dg-electronics', '441900', 'C3922'],
        ['lz-autoparts', '450200', 'C3670'],
      ],
    )
    assert.equal(new Set(enterprises.map((e) => e.regionCode.slice(0, 2))).size, 2)
    for (const e of enterprises) {
      assert.ok(isValidUscc(e.uscc), `${e.key} ${e.uscc}`)
      assert.equal(e.uscc.slice(2, 8), e.regionCode)
      assert.ok(isIndustryCode(e.industryCode))
      for (const s of e.sites) assert.ok(regionContains(e.regionCode, s.regionCode), s.regionCode)
    }
    assert.equal(makeUscc('440600', 'MA4UKT8E').slice(8, 17), 'MA4UKT8E5')
  })

  it('places every equipment in a site / area / line / cell with unique keys per enterprise', () => {
    for (const e of enterprises) {
      const keys = placed.filter((p) => p.enterprise === e).map((p) => p.equipment.key)
      assert.equal(new Set(keys).size, keys.length, e.key)
    }
    const kinds = new Set(placed.map((p) => p.equipment.kind))
    for (const k of [
      'cnc-machining-centre',
      'injection-moulding-machine',
      'die-casting-machine',
      'industrial-robot',
      'conveyor',
      'air-compressor',
      'energy-meter',
    ] as const)
      assert.ok(kinds.has(k), k)
    const media = new Set(placed.map((p) => p.equipment.medium).filter((m) => m !== undefined))
    assert.deepEqual([...media].sort(), ['electricity', 'natural-gas', 'steam', 'water'])
  })

  it('exposes networked equipment over all four protocols and keeps the rest without points', () => {
    const protocols = new Set(placed.flatMap((p) => p.equipment.points.map((pt) => pt.protocol)))
    assert.deepEqual([...protocols].sort(), ['json', 'modbus', 'opcua', 'sparkplug'])
    for (const p of placed) {
      const eq = p.equipment
      if (!eq.networked) assert.equal(eq.points.length, 0, eq.key)
      else assert.ok(eq.points.length >= 2, eq.key)
      for (const pt of eq.points) assert.equal(pt.protocol, eq.protocol)
      const pk = eq.points.map((pt) => pt.key)
      assert.equal(new Set(pk).size, pk.length)
    }
    const notNetworked = placed.filter((p) => !p.equipment.networked).map((p) => p.equipment.key)
    assert.deepEqual(notNetworked, ['CNC-04', 'DR-01'])
    const fsCnc = placed.find((p) => p.enterprise.key === 'fs-diecast' && p.equipment.key === 'CNC-01')
    assert.deepEqual(
      fsCnc?.equipment.points.map((pt) => `${pt.key}:${pt.kind}:${pt.unit}`),
      [
        'state:state:',
        'partsGood:counter:{pcs}',
        'partsScrap:counter:{pcs}',
        'cycleTime:analog:s',
        'program:text:',
        'spindleSpeed:analog:r/min',
        'spindleTemp:analog:Cel',
        'vibrationRms:analog:mm/s',
        'motorCurrent:analog:A',
      ],
    )
  })

  it('lets meters measure only equipment of their own enterprise', () => {
    for (const p of placed.filter((x) => x.equipment.kind === 'energy-meter')) {
      const own = new Set(placed.filter((x) => x.enterprise === p.enterprise).map((x) => x.equipment.key))
      assert.ok((p.equipment.measures ?? []).length > 0, p.equipment.key)
      for (const k of p.equipment.measures ?? []) assert.ok(own.has(k), `${p.equipment.key} → ${k}`)
    }
  })
})
