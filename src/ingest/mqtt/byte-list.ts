/**
 * A minimal list of buffers with the read methods mqtt-packet's parser calls on its `_list`.
 * The parser's default list is a `bl` BufferListStream — a full Duplex stream (readable and
 * writable state objects) per connection that the parser never uses as a stream. Swapping in this
 * plain class saves a few KB per idle connection; see measure-idle.ts.
 */
export class ByteList {
  #bufs: Buffer[] = []
  length = 0

  append(buf: Buffer): this {
    if (buf.length > 0) {
      this.#bufs.push(buf)
      this.length += buf.length
    }
    return this
  }

  consume(bytes: number): this {
    let n = Math.min(Math.max(0, Math.trunc(bytes)), this.length)
    this.length -= n
    while (n > 0) {
      const first = this.#bufs[0]!
      if (n >= first.length) {
        n -= first.length
        this.#bufs.shift()
      } else {
        this.#bufs[0] = first.subarray(n)
        n = 0
      }
    }
    return this
  }

  readUInt8(offset: number): number {
    const bufs = this.#bufs
    let off = offset
    for (let i = 0; i < bufs.length; i++) {
      const b = bufs[i]!
      if (off < b.length) return b[off]!
      off -= b.length
    }
    throw new RangeError(`offset ${offset} is out of range`)
  }

  readUInt16BE(offset: number): number {
    return (this.readUInt8(offset) << 8) | this.readUInt8(offset + 1)
  }

  readUInt32BE(offset: number): number {
    return this.readUInt16BE(offset) * 0x10000 + this.readUInt16BE(offset + 2)
  }

  /** Bytes [start, end) as one Buffer; a view when they sit in one chunk, a copy otherwise. */
  slice(start = 0, end = this.length): Buffer {
    const s = Math.max(0, start)
    const e = Math.min(this.length, end)
    if (e <= s) return Buffer.alloc(0)
    const bufs = this.#bufs
    let off = s
    let i = 0
    while (i < bufs.length && off >= bufs[i]!.length) {
      off -= bufs[i]!.length
      i++
    }
    const first = bufs[i]!
    const want = e - s
    if (off + want <= first.length) return first.subarray(off, off + want)
    const out = Buffer.allocUnsafe(want)
    let pos = 0
    while (pos < want) {
      const b = bufs[i++]!
      const n = Math.min(b.length - off, want - pos)
      b.copy(out, pos, off, off + n)
      pos += n
      off = 0
    }
    return out
  }

  toString(encoding: BufferEncoding = 'utf8', start = 0, end = this.length): string {
    return this.slice(start, end).toString(encoding)
  }
}
