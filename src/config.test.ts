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
})
