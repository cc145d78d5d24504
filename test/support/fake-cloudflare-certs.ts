// A local stand-in for Cloudflare's zone custom certificates API (list with pages, upload, edit,
// delete, the v4 envelope and its error shape), checking what Cloudflare checks on upload: a PEM
// certificate and a private key that belongs to it. As the real API documents: PATCHing an
// sni_custom certificate returns a new id and deletes the old one (other types keep theirs).
// Scripted faults: 429s and 5xx answers.
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StoredCertificate {
  id: string
  hosts: string[]
  certificate: string
  bundle_method: string
  type: string
}

export interface FakeCloudflareCerts {
  readonly baseUrl: string
  readonly zoneId: string
  readonly token: string
  readonly certificates: Map<string, StoredCertificate>
  readonly calls: string[]
  /** Answer the next `times` calls with this status (429 with Retry-After 0). */
  fail(status: number, times: number): void
  close(): Promise<void>
}

export async function startFakeCloudflareCerts(): Promise<FakeCloudflareCerts> {
  const zoneId = 'zone0123456789abcdef0123456789ab'
  const token = 'cert-token'
  const certificates = new Map<string, StoredCertificate>()
  const calls: string[] = []
  let faults: { status: number; times: number } | null = null
  let nextId = 1
  const prefix = `/client/v4/zones/${zoneId}/custom_certificates`

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => reply(res, 500, fail(1000, String(err))))
  })
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://api')
    const body = await readBody(req)
    if (req.headers.authorization !== `Bearer ${token}`) return reply(res, 403, fail(10000, 'Authentication error'))
    if (!url.pathname.startsWith(prefix)) return reply(res, 404, fail(7003, 'Could not route to the zone'))
    const id = decodeURIComponent(url.pathname.slice(prefix.length + 1))
    calls.push(`${req.method} ${id === '' ? '' : ':id'}`.trim())
    if (faults && faults.times > 0) {
      faults.times--
      if (faults.status === 429) res.setHeader('retry-after', '0')
      return reply(
        res,
        faults.status,
        fail(faults.status === 429 ? 971 : 1000, faults.status === 429 ? 'Please wait and consider throttling your request speed' : 'Internal error'),
      )
    }
    if (req.method === 'GET' && id === '') {
      const page = Number(url.searchParams.get('page') ?? 1)
      const perPage = Number(url.searchParams.get('per_page') ?? 20)
      const all = [...certificates.values()]
      const slice = all.slice((page - 1) * perPage, page * perPage).map(({ certificate: _c, ...meta }) => ({ ...meta, zone_id: zoneId, status: 'active' }))
      return reply(res, 200, {
        success: true,
        errors: [],
        messages: [],
        result: slice,
        result_info: { page, per_page: perPage, count: slice.length, total_count: all.length, total_pages: Math.max(1, Math.ceil(all.length / perPage)) },
      })
    }
    if ((req.method === 'POST' && id === '') || (req.method === 'PATCH' && id !== '')) {
      if (req.method === 'PATCH' && !certificates.has(id)) return reply(res, 404, fail(1404, 'Certificate not found'))
      const input = JSON.parse(body || '{}') as { certificate?: string; private_key?: string; bundle_method?: string; type?: string }
      let hosts: string[]
      try {
        const x509 = new X509Certificate(input.certificate ?? '')
        if (!x509.checkPrivateKey(createPrivateKey(input.private_key ?? ''))) return reply(res, 400, fail(1212, 'The certificate and private key do not match'))
        hosts = (x509.subjectAltName ?? '')
          .split(', ')
          .filter((n) => n.startsWith('DNS:'))
          .map((n) => n.slice(4))
      } catch {
        return reply(res, 400, fail(1211, 'The certificate or key you provided could not be parsed'))
      }
      const type = input.type ?? certificates.get(id)?.type ?? 'legacy_custom'
      const stored: StoredCertificate = {
        id: req.method === 'PATCH' && type !== 'sni_custom' ? id : `cert-${nextId++}`,
        hosts,
        certificate: input.certificate!,
        bundle_method: input.bundle_method ?? 'ubiquitous',
        type,
      }
      if (stored.id !== id) certificates.delete(id)
      certificates.set(stored.id, stored)
      const { certificate: _c, ...meta } = stored
      return reply(res, 200, { success: true, errors: [], messages: [], result: { ...meta, zone_id: zoneId, status: 'pending' } })
    }
    if (req.method === 'DELETE' && id !== '') {
      if (!certificates.delete(id)) return reply(res, 404, fail(1404, 'Certificate not found'))
      return reply(res, 200, { success: true, errors: [], messages: [], result: { id } })
    }
    return reply(res, 405, fail(10405, 'Method not allowed'))
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    zoneId,
    token,
    certificates,
    calls,
    fail: (status, times) => void (faults = { status, times }),
    close: () => new Promise((r) => server.close(() => r())),
  }
}

function fail(code: number, message: string) {
  return { success: false, errors: [{ code, message }], messages: [], result: null }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}
