import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  UserTokenType,
} from 'node-opcua'
import { buildEnterprises } from './factory-catalog.ts'
import { createSimOpcuaServer } from './opcua-server.ts'

describe('sim OPC UA server', () => {
  it('enforces its security configuration and marks a dropped-out value Bad with the last value kept', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ronghe-sim-opcua-'))
    const enterprises = buildEnterprises()
    const server = createSimOpcuaServer({
      enterprises,
      pkiDir: join(tmp, 'pki'),
      securityModes: ['SignAndEncrypt'],
      allowAnonymous: false,
      users: { edge: 'Edge-pw-1' },
    })
    await server.start()
    const cm = new OPCUACertificateManager({
      rootFolder: join(tmp, 'client'),
      automaticallyAcceptUnknownCertificate: true,
      disableFileWatchers: true,
    })
    await cm.initialize()
    const client = (mode: MessageSecurityMode, policy: SecurityPolicy): OPCUAClient =>
      OPCUAClient.create({
        endpointMustExist: false,
        securityMode: mode,
        securityPolicy: policy,
        clientCertificateManager: cm,
        connectionStrategy: { maxRetry: 0, initialDelay: 100 },
      })
    try {
      // 3 die-casting machines × 10 points + 3 Liuzhou robots × 5 points
      assert.equal(server.variables.length, 45)
      // an unsecured channel is allowed for discovery only (OPC UA Part 4): no session on it
      const plain = client(MessageSecurityMode.None, SecurityPolicy.None)
      await plain.connect(server.endpointUrl)
      try {
        const endpoints = await plain.getEndpoints()
        assert.deepEqual(
          [...new Set(endpoints.map((e) => MessageSecurityMode[e.securityMode]))],
          ['SignAndEncrypt'],
        )
        await assert.rejects(
          plain.createSession({ type: UserTokenType.UserName, userName: 'edge', password: 'Edge-pw-1' }),
        )
      } finally {
        await plain.disconnect()
      }

      const secure = client(MessageSecurityMode.SignAndEncrypt, SecurityPolicy.Basic256Sha256)
      await secure.connect(server.endpointUrl)
      try {
        await assert.rejects(secure.createSession({ type: UserTokenType.Anonymous }))
        const session = await secure.createSession({
          type: UserTokenType.UserName,
          userName: 'edge',
          password: 'Edge-pw-1',
        })
        const nodeId = server.nodeIdOf('fs-diecast', 'DC-02', 'motorCurrent')
        const ts = Date.UTC(2026, 2, 2, 2, 0)
        server.apply({
          enterpriseKey: 'fs-diecast',
          deviceKey: 'DC-02',
          pointKey: 'motorCurrent',
          ts,
          value: 123.5,
          quality: 'good',
        })
        let dv = await session.read({ nodeId, attributeId: AttributeIds.Value })
        assert.deepEqual([dv.value.value, dv.statusCode.value, dv.sourceTimestamp?.getTime()], [123.5, 0, ts])
        server.apply({
          enterpriseKey: 'fs-diecast',
          deviceKey: 'DC-02',
          pointKey: 'motorCurrent',
          ts: ts + 1000,
          value: null,
          quality: 'bad',
        })
        dv = await session.read({ nodeId, attributeId: AttributeIds.Value })
        assert.deepEqual([dv.value.value, dv.statusCode.value], [123.5, StatusCodes.BadNoCommunication.value])
        const robot = await session.read({
          nodeId: server.nodeIdOf('lz-autoparts', 'RB-01', 'cycles'),
          attributeId: AttributeIds.DataType,
        })
        // i=8 is Int64
        assert.equal(robot.value.value.toString(), 'ns=0;i=8')
        await session.close()
      } finally {
        await secure.disconnect()
      }
    } finally {
      await server.stop()
    }
  })
})
