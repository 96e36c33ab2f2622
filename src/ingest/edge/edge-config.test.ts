import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseEdgeConfig } from './edge-config.ts'

const YAML = `
tenant: t_01
dataDir: ./data
uplink:
  url: mqtts://ronghe.example.cn:8883
  caFile: certs/ca.pem
  edgeNodeId: edge-01
  username: edge-01-user
  password: "\${DC01_PASSWORD}"
maxSendRate: 20000
sources:
  - kind: opcua
    device: dc-01
    endpointUrl: opc.tcp://10.0.0.5:4840
    securityMode: SignAndEncrypt
    identity: { type: certificate, certificateFile: certs/user.pem, privateKeyFile: certs/user.key }
    items:
      - { nodeId: "ns=2;s=Press.Temp", key: temp, deadband: { type: percent, value: 1 } }
  - kind: modbus
    device: ac-01
    host: 10.0.0.7
    unitId: 3
    groups:
      - name: fast
        intervalMs: 1000
        points:
          - { key: pressure, table: input, address: 2, type: float32, wordOrder: little }
`

describe('edge.yaml', () => {
  it('resolves paths against the file, expands environment variables, keeps the rest as written', () => {
    const c = parseEdgeConfig(YAML, { baseDir: '/etc/ronghe-edge', env: { DC01_PASSWORD: 'pw-from-env' } })
    assert.equal(c.dataDir, '/etc/ronghe-edge/data')
    assert.equal(c.uplink.caFile, '/etc/ronghe-edge/certs/ca.pem')
    assert.equal(c.uplink.edgeNodeId, 'edge-01')
    assert.equal(c.uplink.password, 'pw-from-env')
    assert.equal(c.maxSendRate, 20000)
    const [ua, mb] = c.sources
    assert.ok(ua?.kind === 'opcua' && mb?.kind === 'modbus')
    assert.equal(ua.pkiDir, '/etc/ronghe-edge/data/opcua-pki/dc-01')
    assert.deepEqual(ua.identity, {
      type: 'certificate',
      certificateFile: '/etc/ronghe-edge/certs/user.pem',
      privateKeyFile: '/etc/ronghe-edge/certs/user.key',
    })
    assert.deepEqual(ua.items[0]?.deadband, { type: 'percent', value: 1 })
    assert.deepEqual(mb.groups[0]?.points[0], {
      key: 'pressure',
      table: 'input',
      address: 2,
      type: 'float32',
      wordOrder: 'little',
    })
  })

  it('names the field that is wrong', () => {
    assert.throws(() => parseEdgeConfig(YAML, { env: {} }), /uplink\.password" uses \$\{DC01_PASSWORD\}/)
    assert.throws(
      () =>
        parseEdgeConfig(
          'tenant: t\ndataDir: d\nuplink: {url: mqtt://x, edgeNodeId: e}\nsources: [{kind: s7, device: a}]',
        ),
      /"sources\[0\]\.kind" must be opcua or modbus/,
    )
    assert.throws(
      () => parseEdgeConfig('tenant: t\ndataDir: d\nuplink: {}'),
      /"uplink\.url" must be a non-empty text/,
    )
  })
})
