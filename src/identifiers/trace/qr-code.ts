import QRCode from 'qrcode'
import { encodeHandlePath } from '../handle-syntax.ts'

/** The public (no login) trace page of an identifier: `{base}/t/{prefix}/{suffix…}`. */
export function identifierPublicUrl(baseUrl: string, handle: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/t/${encodeHandlePath(handle)}`
}

export interface QrOptions {
  /** default M (15 %), enough for printed labels that get scuffed */
  readonly errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H'
  /** quiet zone in modules (default 4, the ISO/IEC 18004 minimum) */
  readonly margin?: number
  /** rendered width in px (default: one unit per module) */
  readonly width?: number
}

/** An SVG QR code for any text (usually identifierPublicUrl or a Digital Link URI). */
export async function qrSvg(text: string, opts: QrOptions = {}): Promise<string> {
  return QRCode.toString(text, {
    type: 'svg',
    errorCorrectionLevel: opts.errorCorrectionLevel ?? 'M',
    margin: opts.margin ?? 4,
    ...(opts.width === undefined ? {} : { width: opts.width }),
  })
}

/** The SVG QR code of an identifier's public trace page. */
export async function identifierQrSvg(baseUrl: string, handle: string, opts?: QrOptions): Promise<string> {
  return qrSvg(identifierPublicUrl(baseUrl, handle), opts)
}
