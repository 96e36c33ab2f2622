import { mkdtempSync, rmSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDuckdbSeriesStore } from './src/store/series/duckdb-series-store.ts'
const dir = mkdtempSync(join(tmpdir(), 'ronghe-cp-compact-'))
const store = await createDuckdbSeriesStore({ path: join(dir, 's.duckdb'), compactAtRows: 100_000_000 })
const T0 = Date.UTC(2025, 0, 1)
const P = 100,
  N = 86_400
for (let i0 = 0; i0 < N; i0 += 1000) {
  const batch = []
  for (let p = 0; p < P; p++)
    for (let i = i0; i < i0 + 1000; i++)
      batch.push({
        tenant: 't',
        point: `p${p}`,
        ts: T0 + i * 1000,
        value: Math.round((50 + 10 * Math.sin(i / 900) + (p % 7)) * 100) / 100,
        quality: 'good' as const,
      })
  await store.appendForPlatform(batch as any)
}
const load = readFileSync('/proc/loadavg', 'utf8').trim()
const t = performance.now()
await store.sizeOnDiskForPlatform()
console.log(
  JSON.stringify({
    rows: P * N,
    compactAndCheckpointSeconds: Math.round(performance.now() - t) / 1000,
    loadavg: load,
  }),
)
await store.close()
rmSync(dir, { recursive: true, force: true })
