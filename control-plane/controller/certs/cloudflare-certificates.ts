// The certificates of the manifests (tls.certificates and TLSStore default certificates) reach
// Cloudflare's edge as zone custom certificates (SNI custom certificates API:
// /zones/{zone}/custom_certificates). Cloudflare objects carry no label, so the certificates this
// control plane uploaded are remembered by fingerprint in a small state record; only those are
// ever replaced or deleted. A renewed certificate for the same hosts is PATCHed, so the hosts are
// never without one; for sni_custom certificates the PATCH answers with a new id and Cloudflare
// deletes the old one, so the id the answer names is the one remembered. One certificate
// Cloudflare refuses is reported and the others go on.
import { X509Certificate, createHash } from 'node:crypto'
import type { DynamicConfig } from '../../../shared/dynamic/types.ts'
import { cloudflareApi, type CloudflareApiOptions } from '../cloudflare/api-client.ts'

export interface CertificateSinkOptions extends CloudflareApiOptions {
  zoneId: string
  /** Where the uploaded certificates are remembered (fingerprint -> Cloudflare id and hosts). */
  state: ManagedCertificateState
  /** `ubiquitous` (default), `optimal` or `force`. */
  bundleMethod?: string
}

export interface ManagedCertificate {
  id: string
  hosts: string[]
}

export interface ManagedCertificateState {
  load(): Promise<Record<string, ManagedCertificate>>
  save(state: Record<string, ManagedCertificate>): Promise<void>
}

export interface DesiredCertificate {
  fingerprint: string
  hosts: string[]
  certificate: string
  privateKey: string
}

export interface SyncResult {
  uploaded: string[]
  /** The ids renewed certificates have now (Cloudflare gives an sni_custom certificate a new id on PATCH). */
  replaced: string[]
  deleted: string[]
  kept: string[]
  /** One line per certificate that could not be read or uploaded. */
  problems: string[]
}

/** The certificates a dynamic configuration serves, each once, with the hosts it covers. */
export function desiredCertificates(config: DynamicConfig, problems: string[] = []): DesiredCertificate[] {
  const pems = [
    ...(config.tls?.certificates ?? []),
    ...Object.values(config.tls?.stores ?? {}).flatMap((s) => (s.defaultCertificate ? [s.defaultCertificate] : [])),
  ]
  const out = new Map<string, DesiredCertificate>()
  for (const [i, pem] of pems.entries()) {
    if (!pem.certFile || !pem.keyFile) continue
    try {
      const x509 = new X509Certificate(pem.certFile)
      const fingerprint = createHash('sha256').update(x509.raw).digest('hex')
      out.set(fingerprint, { fingerprint, hosts: certificateHosts(x509), certificate: pem.certFile, privateKey: pem.keyFile })
    } catch (err) {
      problems.push(`tls.certificates[${i}]: not a PEM certificate: ${(err as Error).message}`)
    }
  }
  return [...out.values()]
}

function certificateHosts(x509: X509Certificate): string[] {
  const dns = (x509.subjectAltName ?? '')
    .split(', ')
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4).toLowerCase())
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject)?.[1]
  return [...new Set(dns.length ? dns : cn ? [cn.toLowerCase()] : [])].sort()
}

export async function syncCloudflareCertificates(desired: DesiredCertificate[], options: CertificateSinkOptions): Promise<SyncResult> {
  const call = cloudflareApi(options, 'Cloudflare custom certificates')
  const base = `/zones/${encodeURIComponent(options.zoneId)}/custom_certificates`
  const bundle_method = options.bundleMethod ?? 'ubiquitous'
  const managed = await options.state.load()
  const existing = new Set(await listIds(call, base))
  const result: SyncResult = { uploaded: [], replaced: [], deleted: [], kept: [], problems: [] }
  const next: Record<string, ManagedCertificate> = {}

  const wanted = new Map(desired.map((d) => [d.fingerprint, d]))
  // Ours and still on the zone, but no longer wanted: a renewal candidate, else deleted.
  const stale = Object.entries(managed).filter(([fp, m]) => !wanted.has(fp) && existing.has(m.id))
  for (const d of desired) {
    const mine = managed[d.fingerprint]
    if (mine && existing.has(mine.id)) {
      next[d.fingerprint] = mine
      result.kept.push(mine.id)
      continue
    }
    const hostsKey = d.hosts.join(',')
    const renewal = stale.findIndex(([, m]) => m.hosts.join(',') === hostsKey)
    try {
      const body = { certificate: d.certificate, private_key: d.privateKey, bundle_method }
      if (renewal !== -1) {
        const [[, old]] = stale.splice(renewal, 1) as [[string, ManagedCertificate]]
        const { result: edited } = await call<{ id: string }>('PATCH', `${base}/${encodeURIComponent(old.id)}`, body)
        if (!edited?.id) throw new Error('the API answered without an id')
        next[d.fingerprint] = { id: edited.id, hosts: d.hosts }
        result.replaced.push(edited.id)
      } else {
        const { result: created } = await call<{ id: string }>('POST', base, { ...body, type: 'sni_custom' })
        if (!created?.id) throw new Error('the API answered without an id')
        next[d.fingerprint] = { id: created.id, hosts: d.hosts }
        result.uploaded.push(created.id)
      }
    } catch (err) {
      result.problems.push(`certificate for ${d.hosts.join(', ') || '(no host)'}: ${(err as Error).message}`)
    }
  }
  for (const [fp, m] of stale) {
    try {
      await call('DELETE', `${base}/${encodeURIComponent(m.id)}`)
      result.deleted.push(m.id)
    } catch (err) {
      next[fp] = m // still ours: deleted on a later sync
      result.problems.push(`certificate ${m.id} (${m.hosts.join(', ')}): ${(err as Error).message}`)
    }
  }
  await options.state.save(next)
  return result
}

async function listIds(call: ReturnType<typeof cloudflareApi>, base: string): Promise<string[]> {
  const ids: string[] = []
  for (let page = 1; ; page++) {
    const { result, result_info } = await call<Array<{ id: string }>>('GET', `${base}?page=${page}&per_page=50`)
    ids.push(...(result ?? []).map((c) => c.id))
    if (!result?.length || (result_info?.total_pages ?? page) <= page) return ids
  }
}

/** The state record kept as one JSON value in a KV-like store (e.g. the control plane's KV sink). */
export function jsonCertificateState(
  store: { get(k: string): Promise<string | null>; put(k: string, v: string): Promise<void> },
  key = 'certificates/cloudflare',
): ManagedCertificateState {
  return {
    load: async () => JSON.parse((await store.get(key)) ?? '{}') as Record<string, ManagedCertificate>,
    save: (state) => store.put(key, JSON.stringify(state)),
  }
}

/**
 * Keeps the zone's certificates in step with successive builds: each build hands its
 * configuration; a sync runs (one at a time, the newest configuration winning) when the set of
 * certificates changed since the last good sync and `mayRun()` says so (the leader only).
 */
export function certificateSyncer(options: CertificateSinkOptions & { mayRun: () => boolean; report: (line: string) => void }) {
  let synced = ''
  let running: Promise<void> | null = null
  let pending: DesiredCertificate[] | null = null
  const run = async (): Promise<void> => {
    while (pending) {
      const desired = pending
      pending = null
      const key = desired
        .map((d) => d.fingerprint)
        .sort()
        .join(',')
      if (key === synced || !options.mayRun()) continue
      try {
        const r = await syncCloudflareCertificates(desired, options)
        for (const p of r.problems) options.report(`certificates: ${p}`)
        if (r.problems.length === 0) synced = key
        if (r.uploaded.length + r.replaced.length + r.deleted.length) {
          options.report(`certificates: ${r.uploaded.length} uploaded, ${r.replaced.length} replaced, ${r.deleted.length} deleted on zone ${options.zoneId}`)
        }
      } catch (err) {
        options.report(`certificates: ${(err as Error).message} (retried with the next build)`)
      }
    }
  }
  return {
    /** Called with each build's configuration; never throws, never waits. */
    offer(config: DynamicConfig): void {
      const problems: string[] = []
      pending = desiredCertificates(config, problems)
      for (const p of problems) options.report(`certificates: ${p}`)
      running ??= run().finally(() => (running = null))
    },
    /** Resolves when no sync is running. */
    idle: async (): Promise<void> => {
      while (running) await running
    },
  }
}
