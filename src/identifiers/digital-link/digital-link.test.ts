import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildDigitalLink, parseDigitalLink } from './digital-link.ts'
import { createDigitalLinkResolver, createStaticLinkSource } from './dl-resolver.ts'
import { aiValueProblem, gs1CheckDigit, isValidGtin, toGtin14 } from './gs1-keys.ts'

const reason = (uri: string): string => {
  try {
    parseDigitalLink(uri)
    return 'valid'
  } catch (e) {
    return (e as { details: { reason: string } }).details.reason
  }
}

describe('GS1 check digits', () => {
  it('computes mod-10 check digits for GTIN-8/12/13/14 and SSCC', () => {
    assert.equal(gs1CheckDigit('0952123454321'), 3) // GTIN-14 09521234543213
    assert.equal(gs1CheckDigit('690123456789'), 2) // GTIN-13 6901234567892
    assert.equal(gs1CheckDigit('9638507'), 4) // GTIN-8 96385074
    assert.equal(gs1CheckDigit('03600029145'), 2) // GTIN-12 036000291452
    assert.equal(gs1CheckDigit('00614141123456789'), 0) // SSCC 006141411234567890
    for (const g of ['96385074', '036000291452', '6901234567892', '09521234543213'])
      assert.equal(isValidGtin(g), true, g)
    assert.equal(isValidGtin('09521234543214'), false)
    assert.equal(toGtin14('96385074'), '00000096385074')
    assert.equal(aiValueProblem('00', '006141411234567890'), null)
    assert.match(aiValueProblem('414', '9521234543211') ?? '', /check digit/)
  })
})

describe('GS1 Digital Link URIs', () => {
  it('parses key, qualifiers, attributes and other parameters', () => {
    const dl = parseDigitalLink(
      'https://id.example.com/01/09521234543213/10/ABC%2F123/21/12345?17=261231&linkType=gs1:pip',
    )
    assert.deepEqual(dl, {
      base: 'https://id.example.com',
      primary: { ai: '01', value: '09521234543213' },
      qualifiers: [
        { ai: '10', value: 'ABC/123' },
        { ai: '21', value: '12345' },
      ],
      attributes: { '17': '261231' },
      params: { linkType: 'gs1:pip' },
    })
  })

  it('pads GTIN-8/12/13 to 14 digits and keeps a path prefix', () => {
    const dl = parseDigitalLink('https://brand.example.cn/dl/01/6901234567892/21/X1/')
    assert.equal(dl.base, 'https://brand.example.cn/dl')
    assert.equal(dl.primary.value, '06901234567892')
  })

  it('explains what is wrong', () => {
    assert.match(reason('https://id.example.com/01/09521234543214'), /wrong check digit \(expected 3\)/)
    assert.match(reason('https://id.example.com/01/0952123454'), /8, 12, 13 or 14 digits/)
    assert.match(
      reason('https://id.example.com/01/09521234543213/21/1/10/A'),
      /not allowed after AI 01 in that order/,
    )
    assert.match(reason('https://id.example.com/01/09521234543213/21/1/21/2'), /not allowed/)
    assert.match(reason('https://id.example.com/01/09521234543213/235/T/10/A'), /not allowed/)
    assert.match(reason('https://id.example.com/00/006141411234567890/10/A'), /allowed: none/)
    assert.match(reason('https://id.example.com/01/09521234543213/10/' + 'A'.repeat(21)), /1–20 characters/)
    assert.match(reason('https://id.example.com/01/09521234543213/10/A%20B'), /set 82/)
    assert.match(reason('https://id.example.com/01/09521234543213/10/%E0%A4%A'), /percent-encoding/)
    assert.match(reason('https://id.example.com/01/09521234543213?17=261332'), /YYMMDD/)
    assert.match(reason('https://id.example.com/01/09521234543213?10=ABC'), /belongs in the path/)
    assert.match(reason('https://id.example.com/products/123'), /no primary key/)
    assert.match(reason('ftp://id.example.com/01/09521234543213'), /http or https/)
    assert.equal(reason('https://id.example.com/01/09521234543213/22/V1/10/L1/21/S1'), 'valid')
    assert.equal(reason('https://id.example.com/414/9521234543213/254/7'), 'valid')
  })

  it('builds canonical URIs with percent-encoding', () => {
    assert.equal(
      buildDigitalLink({
        base: 'https://id.example.com/',
        primary: { ai: '01', value: '6901234567892' },
        qualifiers: [{ ai: '10', value: 'B/2603' }],
        attributes: { '17': '271231' },
      }),
      'https://id.example.com/01/06901234567892/10/B%2F2603?17=271231',
    )
    assert.throws(
      () => buildDigitalLink({ base: 'https://x.cn', primary: { ai: '01', value: '6901234567891' } }),
      { code: 'DL_INVALID_URI' },
    )
  })
})

describe('Digital Link resolver', () => {
  const links = createStaticLinkSource({
    '/01/09521234543213': [
      {
        linkType: 'gs1:pip',
        href: 'https://brand.example/p/xp200',
        title: 'Product page',
        type: 'text/html',
        hreflang: ['en'],
        isDefault: true,
      },
      {
        linkType: 'gs1:pip',
        href: 'https://brand.example/zh/p/xp200',
        title: '产品页',
        type: 'text/html',
        hreflang: ['zh-CN'],
      },
      {
        linkType: 'https://ref.gs1.org/voc/instructions',
        href: 'https://brand.example/manual.pdf',
        title: 'Manual',
        type: 'application/pdf',
      },
    ],
    '/01/09521234543213/10/B1': [
      {
        linkType: 'gs1:traceability',
        href: 'https://trace.example/t/B1',
        title: 'Trace',
        type: 'text/html',
        isDefault: true,
      },
    ],
  })
  const resolve = createDigitalLinkResolver({ links })

  it('redirects to the most specific default link with 307, query string passed on', async () => {
    const r = await resolve({
      method: 'GET',
      url: 'https://id.example.com/01/09521234543213/10/B1/21/7?17=261231',
    })
    assert.equal(r.status, 307)
    assert.equal(r.headers['location'], 'https://trace.example/t/B1?17=261231')
    assert.equal(r.headers['access-control-allow-origin'], '*')
    assert.equal(
      r.headers['link'],
      '<https://id.example.com/01/09521234543213/10/B1/21/7?linkType=linkset>; rel="linkset"; type="application/linkset+json", <https://id.example.com/01/09521234543213/10/B1/21/7>; rel="owl:sameAs"',
    )
  })

  it('walks up to the GTIN for a requested link type and honours Accept-Language', async () => {
    const manual = await resolve({
      method: 'GET',
      url: 'https://id.example.com/01/09521234543213/10/B1?linkType=gs1:instructions',
    })
    assert.equal(manual.headers['location'], 'https://brand.example/manual.pdf')
    const zh = await resolve({
      method: 'GET',
      url: 'https://id.example.com/01/9521234543213?linkType=https://gs1.org/voc/pip',
      headers: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' },
    })
    assert.equal(zh.headers['location'], 'https://brand.example/zh/p/xp200')
    const fallback = await resolve({
      method: 'GET',
      url: 'https://id.example.com/01/09521234543213?linkType=gs1:recallStatus',
    })
    assert.equal(fallback.headers['location'], 'https://brand.example/p/xp200')
  })

  it('answers a linkset (RFC 9264) for linkType=all or linkset', async () => {
    const r = await resolve({
      method: 'GET',
      url: 'https://id.example.com/01/09521234543213/10/B1?linkType=all',
    })
    assert.equal(r.status, 200)
    assert.equal(r.headers['content-type'], 'application/linkset+json')
    assert.deepEqual(JSON.parse(r.body ?? ''), {
      linkset: [
        {
          anchor: 'https://id.example.com/01/09521234543213/10/B1',
          'https://gs1.org/voc/traceability': [
            { href: 'https://trace.example/t/B1', title: 'Trace', type: 'text/html' },
          ],
          'https://gs1.org/voc/defaultLink': [
            { href: 'https://trace.example/t/B1', title: 'Trace', type: 'text/html' },
          ],
        },
        {
          anchor: 'https://id.example.com/01/09521234543213',
          'https://gs1.org/voc/pip': [
            {
              href: 'https://brand.example/p/xp200',
              title: 'Product page',
              type: 'text/html',
              hreflang: ['en'],
            },
            {
              href: 'https://brand.example/zh/p/xp200',
              title: '产品页',
              type: 'text/html',
              hreflang: ['zh-CN'],
            },
          ],
          'https://gs1.org/voc/defaultLink': [
            {
              href: 'https://brand.example/p/xp200',
              title: 'Product page',
              type: 'text/html',
              hreflang: ['en'],
            },
          ],
          'https://gs1.org/voc/instructions': [
            { href: 'https://brand.example/manual.pdf', title: 'Manual', type: 'application/pdf' },
          ],
        },
      ],
    })
  })

  it('answers 400 for bad syntax, 404 for unknown keys, 204 to CORS preflight', async () => {
    const bad = await resolve({ method: 'GET', url: 'https://id.example.com/01/09521234543214' })
    assert.equal(bad.status, 400)
    assert.equal(JSON.parse(bad.body ?? '').error.code, 'DL_INVALID_URI')
    assert.equal(bad.headers['access-control-allow-origin'], '*')
    const unknown = await resolve({ method: 'GET', url: 'https://id.example.com/01/96385074' })
    assert.equal(unknown.status, 404)
    const pre = await resolve({ method: 'OPTIONS', url: 'https://id.example.com/01/09521234543213' })
    assert.equal(pre.status, 204)
    assert.equal(pre.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS')
    const head = await resolve({ method: 'HEAD', url: 'https://id.example.com/01/09521234543213' })
    assert.equal(head.status, 307)
    assert.equal(head.body, undefined)
    assert.equal(
      (await resolve({ method: 'POST', url: 'https://id.example.com/01/09521234543213' })).status,
      405,
    )
  })
})
