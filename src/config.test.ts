import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError, loadConfig, redactedConfig } from './config.ts'

const noFile = join(tmpdir(), 'ronghe-no-such-dir', 'ronghe.yaml')

describe('configuration', () => {
  it('layers defaults, file and environment, environment last', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ronghe-cfg-'))
    const file = join(dir, 'ronghe.yaml')
    writeFileSync(file, 'http:\n  port: 9000\nmqtt:\n  port: 1999\n')
    const c = loadConfig({ file, env: { RONGHE_MQTT_PORT: '2883' } })
    assert.equal(c.http.port, 9000)
    assert.equal(c.mqtt.port, 2883)
    assert.equal(c.ingest.groupCommitMs, 5)
    assert.ok(Object.isFrozen(c.http))
  })
  it('reports every problem with the variable or key that caused it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ronghe-cfg-'))
    const file = join(dir, 'ronghe.yaml')
    writeFileSync(file, 'htp:\n  port: 9000\n')
    try {
      loadConfig({ file, env: { RONGHE_HTTP_PORT: 'eighty', RONGHE_DEMO: 'maybe', RONGHE_HTTP_PROT: '1' } })
      assert.fail('expected a ConfigError')
    } catch (err) {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.problems.length, 4)
      assert.match(err.message, /RONGHE_HTTP_PORT \(http\.port\) must be a port number/)
      assert.match(err.message, /RONGHE_DEMO \(demo\) must be true or false/)
      assert.match(err.message, /unknown key "htp"/)
      assert.match(
        err.message,
        /RONGHE_HTTP_PROT is not a Ronghe setting \(did you mean one of RONGHE_HTTP_PORT/,
      )
    }
  })
  it('reads the rule partitions and their leases, and refuses values that cannot work', () => {
    const c = loadConfig({
      file: null,
      env: {
        RONGHE_RULE_PARTITIONS: '64',
        RONGHE_RULE_LEASE_RENEW_MS: '200',
        RONGHE_RULE_LEASE_TTL_MS: '600',
        RONGHE_RULE_LEASE_GROUP: 'plant-2',
        RONGHE_BUS_ACK_WAIT_MS: '1500',
      },
    })
    assert.deepEqual(c.rules, { partitions: 64, leaseRenewMs: 200, leaseTtlMs: 600, leaseGroup: 'plant-2' })
    assert.equal(c.bus.ackWaitMs, 1500)
    assert.equal(loadConfig({ file: null, env: {} }).rules.partitions, 16)
    try {
      loadConfig({
        file: null,
        env: {
          RONGHE_RULE_PARTITIONS: '0',
          RONGHE_RULE_LEASE_RENEW_MS: '1000',
          RONGHE_RULE_LEASE_TTL_MS: '1500',
          RONGHE_RULE_LEASE_GROUP: 'a.b',
        },
      })
      assert.fail('expected a ConfigError')
    } catch (err) {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.code, 'CONFIG_INVALID')
      assert.equal(err.problems.length, 3, err.message)
      assert.match(
        err.message,
        /RONGHE_RULE_PARTITIONS \(rules\.partitions\) must be an integer from 1 to 1024, got "0"/,
      )
      assert.match(
        err.message,
        /RONGHE_RULE_LEASE_TTL_MS \(1500\) must be at least twice RONGHE_RULE_LEASE_RENEW_MS/,
      )
      assert.match(err.message, /RONGHE_RULE_LEASE_GROUP must be 1–32 letters/)
    }
    assert.throws(() => loadConfig({ file: null, env: { RONGHE_RULE_PARTITIONS: '1025' } }), /from 1 to 1024/)
  })
  it('rejects a database URL that is not PostgreSQL', () => {
    assert.throws(
      () => loadConfig({ file: noFile.replace('ronghe.yaml', 'x.yaml'), env: {} }),
      /does not exist/,
    )
    assert.throws(
      () => loadConfig({ env: { RONGHE_DATABASE_URL: 'mysql://x' } }),
      /must be a postgres:\/\/ URL/,
    )
  })
  it('masks secrets when the configuration is logged', () => {
    const c = loadConfig({ env: { RONGHE_ADMIN_PASSWORD: 'hunter2hunter2' } })
    assert.equal(c.security.adminPassword, 'hunter2hunter2')
    assert.doesNotMatch(JSON.stringify(redactedConfig(c)), /hunter2/)
  })
  it('reads the external MQTT broker front door from the environment, and masks its password', () => {
    const c = loadConfig({
      file: null,
      env: {
        RONGHE_MQTT_UPSTREAM_URL: 'mqtts://broker.example:8883',
        RONGHE_MQTT_UPSTREAM_GROUP: 'plant',
        RONGHE_MQTT_UPSTREAM_FILTERS: 'ronghe/+/+/data, site-2/ronghe/+/+/data',
        RONGHE_MQTT_UPSTREAM_CLIENT_ID: 'ronghe-0',
        RONGHE_MQTT_UPSTREAM_USERNAME: 'ronghe',
        RONGHE_MQTT_UPSTREAM_PASSWORD: 'broker-secret-9',
        RONGHE_MQTT_UPSTREAM_CONNECTIONS: '4',
      },
    })
    assert.equal(c.mqttUpstream.url, 'mqtts://broker.example:8883')
    assert.equal(c.mqttUpstream.group, 'plant')
    assert.equal(c.mqttUpstream.connections, 4)
    assert.equal(c.mqttUpstream.protocolVersion, 5)
    assert.doesNotMatch(JSON.stringify(redactedConfig(c)), /broker-secret-9/)
  })
  it('refuses external broker settings that cannot work, naming each', () => {
    try {
      loadConfig({
        file: null,
        env: {
          RONGHE_MQTT_UPSTREAM_URL: 'http://broker',
          RONGHE_MQTT_UPSTREAM_GROUP: 'a/b',
          RONGHE_MQTT_UPSTREAM_FILTERS: 'ronghe/#/data,$share/g/x',
          RONGHE_MQTT_UPSTREAM_PROTOCOL_VERSION: '6',
          RONGHE_MQTT_UPSTREAM_PASSWORD: 'x',
        },
      })
      assert.fail('expected a ConfigError')
    } catch (err) {
      assert.ok(err instanceof ConfigError)
      assert.deepEqual(
        err.problems.map((p) => p.split(' ')[0]),
        [
          'RONGHE_MQTT_UPSTREAM_URL',
          'RONGHE_MQTT_UPSTREAM_GROUP',
          'RONGHE_MQTT_UPSTREAM_FILTERS:',
          'RONGHE_MQTT_UPSTREAM_FILTERS:',
          'RONGHE_MQTT_UPSTREAM_PROTOCOL_VERSION',
          'RONGHE_MQTT_UPSTREAM_PASSWORD',
        ],
      )
    }
  })
})
