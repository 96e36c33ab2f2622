import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startSmtpSink } from '../../../test/support/smtp-sink.ts'
import { buildMessage, sendMail } from './smtp-client.ts'

// every byte value, and a run long enough to span several base64 lines
const binary = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.alloc(300, 0x2e)])

describe('SMTP messages with attachments (multipart/mixed, base64)', () => {
  it('keeps every line within 78 characters, ends lines with CRLF and closes the multipart', () => {
    const raw = buildMessage(
      {
        from: 'reports@ronghe.local',
        to: ['a@factory.local'],
        subject: '企业能源日报 2026-12-04',
        text: '第一行\n第二行',
        attachments: [
          { filename: 'a.bin', contentType: 'application/octet-stream', content: binary },
          { filename: '能源日报.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4') },
        ],
      },
      'ronghe.local',
    )
    assert.equal(raw.replace(/\r\n/g, '').includes('\n'), false, 'a bare LF')
    for (const line of raw.split('\r\n')) assert.ok(line.length <= 78, `line too long: ${line}`)
    const boundary = /boundary="([^"]+)"/.exec(raw)?.[1] as string
    assert.ok(boundary)
    assert.equal(raw.split(`\r\n--${boundary}\r\n`).length, 4, 'a delimiter before the text and each file')
    assert.ok(raw.endsWith(`\r\n--${boundary}--\r\n`))
    // a non-ASCII file name is a RFC 2231 parameter, never raw UTF-8 in a header
    assert.match(raw, /filename\*=UTF-8''%E8%83%BD%E6%BA%90%E6%97%A5%E6%8A%A5\.pdf/)
    assert.ok(
      [...raw].every((c) => c.charCodeAt(0) < 128),
      'the message is 7-bit',
    )
  })

  it('leaves a message without attachments as one text/plain part', () => {
    const raw = buildMessage({ from: 'a@b.c', to: ['d@e.f'], subject: 's', text: 't' }, 'b.c')
    assert.match(raw, /^Content-Type: text\/plain; charset=utf-8$/m)
    assert.doesNotMatch(raw, /multipart/)
  })

  describe('to a real SMTP peer (Python smtpd, parsed by Python’s email package)', () => {
    let sink: Awaited<ReturnType<typeof startSmtpSink>>
    before(async () => {
      sink = await startSmtpSink()
    })
    after(() => {
      if (sink.skip === undefined) sink.stop()
    })

    it('delivers attachments that decode to the same bytes under their names', async (t) => {
      if (sink.skip !== undefined) return t.skip(sink.skip)
      await sendMail(
        { host: '127.0.0.1', port: sink.port },
        {
          from: 'Ronghe 报表 <reports@ronghe.local>',
          to: ['energy@factory.local'],
          subject: '[Ronghe 报表] 企业能源日报 2026-12-04',
          text: '您订阅的报表已生成，请查收附件。\n.\nline after a lone dot',
          attachments: [
            { filename: 'all-bytes.bin', contentType: 'application/octet-stream', content: binary },
            { filename: '能源日报.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4 x') },
          ],
        },
      )
      const mail = await waitFor(() => sink.skip === undefined && sink.mails()[0])
      assert.equal(mail.contentType, 'multipart/mixed')
      assert.equal(mail.subject, '[Ronghe 报表] 企业能源日报 2026-12-04')
      assert.equal(
        mail.text.replace(/\r\n/g, '\n'),
        '您订阅的报表已生成，请查收附件。\n.\nline after a lone dot',
      )
      assert.deepEqual(
        mail.attachments.map((a) => [a.filename, a.contentType]),
        [
          ['all-bytes.bin', 'application/octet-stream'],
          ['能源日报.pdf', 'application/pdf'],
        ],
      )
      assert.deepEqual(Buffer.from(mail.attachments[0]?.base64 ?? '', 'base64'), binary)
      assert.equal(Buffer.from(mail.attachments[1]?.base64 ?? '', 'base64').toString(), '%PDF-1.4 x')
    })
  })
})

async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = check()
    if (v) return v
    if (Date.now() > until) throw new Error('timed out waiting for the mail')
    await new Promise((r) => setTimeout(r, 25))
  }
}
