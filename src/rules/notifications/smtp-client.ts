/**
 * A small SMTP client (RFC 5321) over node:net / node:tls: EHLO, STARTTLS (RFC 3207), AUTH PLAIN /
 * LOGIN (RFC 4954), one message to several recipients. Enough to hand an alarm to a company relay;
 * it does no queueing of its own (the dispatcher retries).
 */
import { randomUUID } from 'node:crypto'
import { connect as netConnect, type Socket } from 'node:net'
import { hostname } from 'node:os'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'

export interface SmtpOptions {
  readonly host: string
  readonly port: number
  readonly secure?: boolean
  readonly starttls?: boolean
  readonly username?: string
  readonly password?: string
  readonly allowSelfSigned?: boolean
  readonly timeoutMs?: number
  /** the name we give in EHLO (default: this host's name) */
  readonly clientName?: string
}

export interface MailAttachment {
  /** the file's name as the recipient sees it; non-ASCII names are encoded (RFC 2231) */
  readonly filename: string
  readonly contentType: string
  readonly content: Uint8Array
}

export interface MailMessage {
  readonly from: string
  readonly to: readonly string[]
  readonly subject: string
  readonly text: string
  readonly date?: number
  /** files sent with the text: the message becomes multipart/mixed (RFC 2046 §5.1.3) */
  readonly attachments?: readonly MailAttachment[]
}

export class SmtpError extends Error {
  readonly code: number | null
  constructor(message: string, code: number | null = null) {
    super(message)
    this.name = 'SmtpError'
    this.code = code
  }
}

/** RFC 2047 encoded-word for non-ASCII header text. */
function encodeHeader(s: string): string {
  if (/^[\x20-\x7e]*$/.test(s)) return s
  return `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`
}

function addressOf(s: string): string {
  const m = /<([^>]+)>/.exec(s)
  return (m ? (m[1] as string) : s).trim()
}

/** base64 in lines of 76 characters (RFC 2045 §6.8), each ended by CRLF. */
function base64Lines(data: Uint8Array): string {
  return Buffer.from(data)
    .toString('base64')
    .replace(/.{1,76}/g, '$&\r\n')
}

/** A MIME parameter value: quoted when ASCII, RFC 2231 `name*=UTF-8''…` otherwise. */
function mimeParam(name: string, value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return `${name}="${value.replace(/[\\"]/g, '\\$&')}"`
  const encoded = encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `${name}*=UTF-8''${encoded}`
}

/**
 * The message in RFC 5322 form with CRLF line ends; text and files base64 so any UTF-8 text and any
 * bytes pass 7-bit relays. With attachments it is multipart/mixed: the text first, then one part per
 * file (RFC 2045/2046, Content-Disposition per RFC 2183).
 */
export function buildMessage(m: MailMessage, domain: string): string {
  const body = base64Lines(Buffer.from(m.text.replace(/\r?\n/g, '\r\n'), 'utf8'))
  const headers = [
    `From: ${m.from}`,
    `To: ${m.to.join(', ')}`,
    `Subject: ${encodeHeader(m.subject)}`,
    `Date: ${new Date(m.date ?? Date.now()).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomUUID()}@${domain}>`,
    'MIME-Version: 1.0',
  ]
  const attachments = m.attachments ?? []
  if (attachments.length === 0) {
    headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64')
    return `${headers.join('\r\n')}\r\n\r\n${body}`
  }
  // base64 never contains "=_", so this boundary cannot occur inside a part (RFC 2046 §5.1.1)
  const boundary = `=_rh_${randomUUID().replace(/-/g, '').slice(0, 24)}`
  headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`)
  const parts = [
    ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', body].join('\r\n'),
    ...attachments.map((a) =>
      [
        // parameters on folded lines (RFC 5322 §2.2.3) keep header lines short
        `Content-Type: ${a.contentType};\r\n ${mimeParam('name', a.filename)}`,
        'Content-Transfer-Encoding: base64',
        `Content-Disposition: attachment;\r\n ${mimeParam('filename', a.filename)}`,
        '',
        base64Lines(a.content),
      ].join('\r\n'),
    ),
  ]
  // each part's body already ends with CRLF, which belongs to the delimiter that follows
  const multipart = `${parts.map((p) => `--${boundary}\r\n${p}`).join('')}--${boundary}--\r\n`
  return `${headers.join('\r\n')}\r\n\r\n${multipart}`
}

interface Reply {
  readonly code: number
  readonly lines: readonly string[]
}

/** Sends one message; resolves with the server's final reply to DATA. */
export async function sendMail(options: SmtpOptions, message: MailMessage): Promise<string> {
  if (message.to.length === 0) throw new SmtpError('no recipients')
  const timeoutMs = options.timeoutMs ?? 15_000
  let socket: Socket | TLSSocket = await open(options)
  let buffer = ''
  let waiting: ((r: Reply) => void) | null = null
  let failed: ((e: Error) => void) | null = null
  const pending: string[] = []
  let replyLines: string[] = []

  const onData = (chunk: Buffer): void => {
    buffer += chunk.toString('utf8')
    for (;;) {
      const i = buffer.indexOf('\n')
      if (i < 0) break
      pending.push(buffer.slice(0, i).replace(/\r$/, ''))
      buffer = buffer.slice(i + 1)
    }
    pump()
  }
  const pump = (): void => {
    while (pending.length > 0 && waiting !== null) {
      const line = pending.shift() as string
      replyLines.push(line.slice(4))
      // "250-…" continues a multi-line reply, "250 …" ends it
      if (line.length >= 3 && line[3] !== '-') {
        const r: Reply = { code: Number(line.slice(0, 3)), lines: replyLines }
        replyLines = []
        const w = waiting
        waiting = null
        failed = null
        w(r)
      }
    }
  }
  const onError = (e: Error): void => failed?.(e)
  const onClose = (): void => failed?.(new SmtpError('the SMTP server closed the connection'))
  const attach = (s: Socket | TLSSocket): void => {
    s.on('data', onData)
    s.on('error', onError)
    s.on('close', onClose)
  }
  const detach = (s: Socket | TLSSocket): void => {
    s.off('data', onData)
    s.off('error', onError)
    s.off('close', onClose)
  }
  attach(socket)

  const read = (): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting = null
        failed = null
        reject(new SmtpError(`no answer from the SMTP server within ${timeoutMs} ms`))
      }, timeoutMs)
      waiting = (r) => {
        clearTimeout(timer)
        resolve(r)
      }
      failed = (e) => {
        clearTimeout(timer)
        waiting = null
        failed = null
        reject(e)
      }
      pump()
    })
  const command = async (line: string, expect: readonly number[], shown = line): Promise<Reply> => {
    socket.write(`${line}\r\n`)
    const r = await read()
    if (!expect.includes(r.code)) throw new SmtpError(`${shown} → ${r.code} ${r.lines.join(' ')}`, r.code)
    return r
  }

  const name = options.clientName ?? (hostname() || 'localhost')
  try {
    const greeting = await read()
    if (greeting.code !== 220) throw new SmtpError(`greeting ${greeting.code} ${greeting.lines.join(' ')}`)
    let ehlo = await ehloOrHelo(command, name)
    const has = (ext: string): boolean => ehlo.some((l) => l.toUpperCase().startsWith(ext))
    if (!options.secure && options.starttls !== false && has('STARTTLS')) {
      await command('STARTTLS', [220])
      detach(socket)
      socket = await upgrade(socket as Socket, options)
      attach(socket)
      ehlo = await ehloOrHelo(command, name)
    }
    if (options.username !== undefined) {
      const auth = ehlo.find((l) => l.toUpperCase().startsWith('AUTH')) ?? ''
      const user = options.username
      const pass = options.password ?? ''
      if (/\bPLAIN\b/i.test(auth) || !/\bLOGIN\b/i.test(auth)) {
        const token = Buffer.from(`\u0000${user}\u0000${pass}`, 'utf8').toString('base64')
        await command(`AUTH PLAIN ${token}`, [235], 'AUTH PLAIN ***')
      } else {
        await command('AUTH LOGIN', [334])
        await command(Buffer.from(user, 'utf8').toString('base64'), [334], '(user)')
        await command(Buffer.from(pass, 'utf8').toString('base64'), [235], '(password)')
      }
    }
    await command(`MAIL FROM:<${addressOf(message.from)}>`, [250])
    for (const to of message.to) await command(`RCPT TO:<${addressOf(to)}>`, [250, 251])
    await command('DATA', [354])
    const domain = addressOf(message.from).split('@')[1] ?? 'ronghe.local'
    // dot-stuffing (RFC 5321 §4.5.2): a line starting with "." gets another
    const data = buildMessage(message, domain).replace(/(^|\r\n)\./g, '$1..')
    socket.write(`${data}\r\n.\r\n`)
    const done = await read()
    if (done.code !== 250)
      throw new SmtpError(`message refused: ${done.code} ${done.lines.join(' ')}`, done.code)
    await command('QUIT', [221]).catch(() => undefined)
    return done.lines.join(' ')
  } finally {
    detach(socket)
    socket.on('error', () => undefined)
    socket.destroy()
  }
}

async function ehloOrHelo(
  command: (line: string, expect: readonly number[]) => Promise<Reply>,
  name: string,
): Promise<readonly string[]> {
  try {
    return (await command(`EHLO ${name}`, [250])).lines.slice(1)
  } catch (e) {
    if (e instanceof SmtpError && e.code !== null && e.code >= 500) {
      await command(`HELO ${name}`, [250])
      return []
    }
    throw e
  }
}

function open(o: SmtpOptions): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    const timeoutMs = o.timeoutMs ?? 15_000
    const s = o.secure
      ? tlsConnect({ host: o.host, port: o.port, servername: o.host, rejectUnauthorized: !o.allowSelfSigned })
      : netConnect({ host: o.host, port: o.port })
    const timer = setTimeout(() => {
      s.destroy()
      reject(new SmtpError(`could not connect to ${o.host}:${o.port} within ${timeoutMs} ms`))
    }, timeoutMs)
    s.once(o.secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer)
      s.removeAllListeners('error')
      resolve(s)
    })
    s.once('error', (e) => {
      clearTimeout(timer)
      reject(new SmtpError(`could not connect to ${o.host}:${o.port}: ${e.message}`))
    })
  })
}

function upgrade(socket: Socket, o: SmtpOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tlsConnect({ socket, servername: o.host, rejectUnauthorized: !o.allowSelfSigned })
    t.once('secureConnect', () => {
      t.removeAllListeners('error')
      resolve(t)
    })
    t.once('error', (e) => reject(new SmtpError(`STARTTLS failed: ${e.message}`)))
  })
}
