import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type { PointId, TenantId, TenantSample } from '../../core/index.ts'
import { crc32 } from './crc32.ts'
import { decodeSamples, encodeSamples } from './sample-codec.ts'
import { openWriteAheadLog } from './write-ahead-log.ts'

const row = (i: number, extra: Partial<TenantSample> = {}): TenantSample => ({
  tenant: 'ten_a' as TenantId,
  point: `pt_${i % 3}` as PointId,
  ts: 1_700_000_000_000 + i,
  value: i * 0.5,
  quality: 'good',
  ...extra,
})

describe('write-ahead log', () => {
  it('computes the standard CRC-32 check value', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926)
  })

  it('round-trips samples with nulls, text and every quality', () => {
    const rows = [
      row(1),
      row(2, { value: null, quality: 'bad' }),
      row(3, { text: '运行中', value: null, quality: 'uncertain' }),
    ]
    assert.deepEqual(
      decodeSamples(encodeSamples(rows)),
      rows.map((r) => ({ text: null, ...r })),
    )
  })

  it('gives back after a restart every batch whose append resolved, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ronghe-wal-'))
    const wal = openWriteAheadLog({ dir })
    const lsns = await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append([row(i), row(i + 1000)])))
    assert.deepEqual(
      lsns,
      Array.from({ length: 50 }, (_, i) => i + 1),
    )
    assert.ok(wal.stats().syncs < 50, 'concurrent appends share syncs (group commit)')
    await wal.close()
    const again = openWriteAheadLog({ dir })
    const rec = again.recovered()
    assert.equal(rec.length, 50)
    assert.equal(rec[49]?.lsn, 50)
    assert.equal(rec[49]?.rows[1]?.ts, 1_700_000_000_000 + 1049)
    assert.equal(await again.append([row(9)]), 51)
    await again.close()
  })

  it('ignores a torn record at the end of a segment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ronghe-wal-'))
    const wal = openWriteAheadLog({ dir })
    await wal.append([row(1)])
    await wal.append([row(2)])
    await wal.close()
    const seg = readdirSync(dir).sort().at(-1) as string
    appendFileSync(join(dir, seg), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 0, 0])) // a header with no body
    const again = openWriteAheadLog({ dir })
    assert.equal(again.recovered().length, 2)
    await again.close()
  })

  it('removes segments once their records are checkpointed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ronghe-wal-'))
    const wal = openWriteAheadLog({ dir })
    await wal.append([row(1)])
    const last = await wal.append([row(2)])
    wal.checkpoint(last)
    await wal.close()
    const again = openWriteAheadLog({ dir })
    assert.equal(again.recovered().length, 0)
    await again.close()
  })
})
