import { type ChildProcess, spawn } from 'node:child_process'
import { eventually } from './platform.ts'
import { commandExists, needService, tcpReachable } from './services.ts'

/** One message as the Python sink parsed it with the standard library's `email` package. */
export interface SunkMail {
  readonly from: string
  readonly to: readonly string[]
  readonly subject: string
  readonly contentType: string
  /** the text part, decoded */
  readonly text: string
  readonly attachments: readonly { filename: string; contentType: string; base64: string }[]
}

/**
 * A real SMTP peer: Python's smtpd (≤ 3.11) receives, and Python's own MIME parser (not ours) takes the
 * message apart, so a test sees what any mail client would. Skips (or fails when services are required)
 * without python3 smtpd.
 */
export async function startSmtpSink(): Promise<
  { skip: string } | { skip: undefined; port: number; mails: () => SunkMail[]; stop: () => void }
> {
  const noPython = await needService('python3', commandExists('python3'))
  if (noPython) return { skip: noPython }
  const port = 21000 + ((process.pid * 7) % 19000)
  const script = [
    'import smtpd, asyncore, json, base64, email, email.policy',
    'class S(smtpd.SMTPServer):',
    '    def process_message(self, peer, mailfrom, rcpttos, data, **kw):',
    '        m = email.message_from_bytes(data, policy=email.policy.default)',
    '        body = m.get_body(preferencelist=("plain",))',
    '        atts = [{"filename": a.get_filename(), "contentType": a.get_content_type(),',
    '                 "base64": base64.b64encode(a.get_payload(decode=True)).decode()} for a in m.iter_attachments()]',
    '        print(json.dumps({"from": mailfrom, "to": rcpttos, "subject": str(m["subject"]),',
    '            "contentType": m.get_content_type(), "text": body.get_content() if body else "",',
    '            "attachments": atts}), flush=True)',
    `S(("127.0.0.1", ${port}), None, decode_data=False)`,
    'print("ready", flush=True)',
    'asyncore.loop()',
  ].join('\n')
  const py: ChildProcess = spawn('python3', ['-W', 'ignore', '-c', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  py.stdout?.on('data', (c) => {
    out += c
  })
  py.stderr?.on('data', (c) => {
    err += c
  })
  const up = await eventually(async () => out.includes('ready') || err.length > 0, 5000, 'smtpd').catch(
    () => false,
  )
  const skip = await needService(
    'python3 smtpd (removed in Python 3.12)',
    up === true && err === '' && tcpReachable('127.0.0.1', port),
  )
  if (skip) {
    py.kill()
    return { skip }
  }
  return {
    skip: undefined,
    port,
    mails: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as SunkMail),
    stop: () => py.kill(),
  }
}
