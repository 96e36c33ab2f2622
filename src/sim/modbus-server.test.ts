import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildEnterprises } from './factory-catalog.ts'
import { simModbusPollGroups, simModbusRegisterMap } from './modbus-server.ts'

describe('sim Modbus register map', () => {
  const [foshan, dongguan, liuzhou] = buildEnterprises()
  assert.ok(foshan && dongguan && liuzhou)

  it('gives every Modbus equipment a unit id in catalogue order and packs its points from address 0', () => {
    const units = simModbusRegisterMap(foshan)
    assert.deepEqual(
      units.map((u) => [u.unitId, u.deviceKey]),
      [
        [1, 'AC-01'],
        [2, 'AC-02'],
        [3, 'EM-MAIN'],
        [4, 'EM-DC'],
        [5, 'EM-MC'],
        [6, 'GM-01'],
        [7, 'WM-01'],
      ],
    )
    // a meter: float64 counter in 0…3, float32 rate in 4…5
    assert.deepEqual(
      units[5]?.points.map((p) => [p.pointKey, p.address, p.type, p.unit]),
      [
        ['volume', 0, 'float64', 'm3'],
        ['flow', 4, 'float32', 'm3/h'],
      ],
    )
    assert.equal(simModbusRegisterMap(dongguan).length, 1)
    assert.equal(simModbusRegisterMap(liuzhou).length, 10)
  })

  it('groups a unit into poll groups by sample period, scaled by speed', () => {
    const unit = simModbusRegisterMap(foshan)[0]
    assert.ok(unit)
    assert.deepEqual(
      simModbusPollGroups(foshan, unit, 10).map((g) => [g.name, g.intervalMs, g.points.map((p) => p.key)]),
      [
        ['every-10s', 1000, ['dischargePressure', 'motorCurrent', 'vibrationRms']],
        ['every-30s', 3000, ['dischargeTemp']],
        ['every-60s', 6000, ['state']],
        ['every-300s', 30000, ['runHours']],
      ],
    )
  })
})
