/**
 * A minimal PDF 1.4 writer for text reports: A4 pages of lines and simple tables, every string set in
 * the standard CJK font STSong-Light with the UniGB-UCS2-H CMap (Adobe-GB1), which PDF readers supply
 * themselves, so no font is embedded. Strings are hex-encoded UTF-16BE (BMP only; others become '?').
 */

export interface PdfLine {
  readonly text: string
  /** points; default 10 */
  readonly size?: number
  /** x offset from the left margin, points */
  readonly indent?: number
}

/** A table row: cells placed at the column x offsets of the page's `columns`. */
export interface PdfRow {
  readonly cells: readonly string[]
  readonly size?: number
}

export type PdfBlock = PdfLine | PdfRow | { readonly gap: number }

const PAGE_W = 595
const PAGE_H = 842
const MARGIN = 42

function utf16Hex(s: string): string {
  let out = ''
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 63
    const u = cp > 0xffff ? 0x3f : cp
    out += u.toString(16).padStart(4, '0')
  }
  return out.toUpperCase()
}

/** Rough width in points: half-width for ASCII (CIDs 1–95 are given 500/1000), full-width otherwise. */
function textWidth(s: string, size: number): number {
  let w = 0
  for (const ch of s) w += (ch.codePointAt(0) ?? 0) < 0x80 ? 0.5 : 1
  return w * size
}

export function writePdf(doc: {
  readonly title: string
  readonly blocks: readonly PdfBlock[]
  /** x offsets (points from the left margin) of table columns; numeric-looking cells are right-aligned to the next column */
  readonly columns?: readonly number[]
}): Buffer {
  const columns = doc.columns ?? [0]
  const pages: string[] = []
  let ops: string[] = []
  let y = PAGE_H - MARGIN
  const newPage = (): void => {
    if (ops.length > 0) pages.push(ops.join('\n'))
    ops = []
    y = PAGE_H - MARGIN
  }
  const text = (x: number, size: number, s: string): void => {
    ops.push(`BT /F1 ${size} Tf ${x.toFixed(2)} ${y.toFixed(2)} Td <${utf16Hex(s)}> Tj ET`)
  }
  for (const b of doc.blocks) {
    if ('gap' in b) {
      y -= b.gap
      continue
    }
    const size = b.size ?? 10
    if (y - size * 1.5 < MARGIN) newPage()
    y -= size * 1.4
    if ('text' in b) {
      text(MARGIN + (b.indent ?? 0), size, b.text)
    } else {
      b.cells.forEach((cell, i) => {
        const x0 = MARGIN + (columns[i] ?? 0)
        const x1 = MARGIN + (columns[i + 1] ?? PAGE_W - 2 * MARGIN)
        const numeric = i > 0 && /^[-+]?[\d.,%]+$/.test(cell)
        text(numeric ? x1 - 6 - textWidth(cell, size) : x0, size, cell)
      })
    }
  }
  newPage()

  // objects: 1 catalog, 2 pages, 3 font, 4 CID font, 5 descriptor, 6 info, then per page (page, content)
  const objects: string[] = []
  const pageIds = pages.map((_, i) => 7 + 2 * i)
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>'
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`
  objects[3] =
    '<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [4 0 R] >>'
  objects[4] =
    '<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 5 0 R /DW 1000 /W [1 95 500] >>'
  objects[5] =
    '<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 626 /StemV 93 >>'
  objects[6] = `<< /Title <FEFF${utf16Hex(doc.title)}> /Producer (Ronghe) >>`
  pages.forEach((content, i) => {
    const id = pageIds[i] as number
    objects[id] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_W} ${PAGE_H}] /Resources << /Font << /F1 3 0 R >> >> /Contents ${id + 1} 0 R >>`
    objects[id + 1] = `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`
  })
  const parts: string[] = ['%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n']
  const offsets: number[] = []
  let length = Buffer.byteLength(parts[0] as string, 'latin1')
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = length
    const obj = `${id} 0 obj\n${objects[id]}\nendobj\n`
    parts.push(obj)
    length += Buffer.byteLength(obj, 'latin1')
  }
  const xref = [`xref\n0 ${objects.length}\n`, '0000000000 65535 f \n']
  for (let id = 1; id < objects.length; id++) xref.push(`${String(offsets[id]).padStart(10, '0')} 00000 n \n`)
  parts.push(
    xref.join(''),
    `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${length}\n%%EOF\n`,
  )
  return Buffer.from(parts.join(''), 'latin1')
}
