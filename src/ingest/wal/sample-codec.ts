import {
  QUALITY_BY_CODE,
  QUALITY_CODE,
  type PointId,
  type TenantId,
  type TenantSample,
} from '../../core/index.ts'

/**
 * Binary encoding of a batch of samples for the write-ahead log:
 * u32 count, then per sample: u8 tenantLen, tenant, u8 pointLen, point, f64 ts, u8 flags, f64 value,
 * [u16 textLen, text]. flags: bit0 value is null, bits1-2 quality code, bit3 has text.
 */
export function encodeSamples(rows: readonly TenantSample[]): Buffer {
  let size = 4
  for (const r of rows) {
    size += 2 + Buffer.byteLength(r.tenant) + Buffer.byteLength(r.point) + 17
    if (r.text != null) size += 2 + Buffer.byteLength(r.text)
  }
  const buf = Buffer.allocUnsafe(size)
  let o = buf.writeUInt32LE(rows.length, 0)
  for (const r of rows) {
    const tl = buf.write(r.tenant, o + 1)
    buf[o] = tl
    o += 1 + tl
    const pl = buf.write(r.point, o + 1)
    buf[o] = pl
    o += 1 + pl
    o = buf.writeDoubleLE(r.ts, o)
    const hasText = r.text != null
    buf[o++] = (r.value === null ? 1 : 0) | (QUALITY_CODE[r.quality] << 1) | (hasText ? 8 : 0)
    o = buf.writeDoubleLE(r.value ?? 0, o)
    if (hasText) {
      const len = buf.write(r.text as string, o + 2)
      buf.writeUInt16LE(len, o)
      o += 2 + len
    }
  }
  return buf.subarray(0, o)
}

export function decodeSamples(buf: Buffer): TenantSample[] {
  const n = buf.readUInt32LE(0)
  const out: TenantSample[] = new Array(n)
  let o = 4
  for (let i = 0; i < n; i++) {
    const tl = buf[o] as number
    const tenant = buf.toString('utf8', o + 1, o + 1 + tl) as TenantId
    o += 1 + tl
    const pl = buf[o] as number
    const point = buf.toString('utf8', o + 1, o + 1 + pl) as PointId
    o += 1 + pl
    const ts = buf.readDoubleLE(o)
    o += 8
    const flags = buf[o++] as number
    const v = buf.readDoubleLE(o)
    o += 8
    let text: string | null = null
    if (flags & 8) {
      const len = buf.readUInt16LE(o)
      text = buf.toString('utf8', o + 2, o + 2 + len)
      o += 2 + len
    }
    out[i] = {
      tenant,
      point,
      ts,
      value: flags & 1 ? null : v,
      quality: QUALITY_BY_CODE[(flags >> 1) & 3] ?? 'bad',
      text,
    }
  }
  return out
}
