/**
 * Traefik's own Kubernetes CRD provider tests, as data (test/traefik/conformance), run through the
 * real manifest loader and compiler: every case must produce Traefik's configuration, names
 * included.
 */

import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compile, type ProviderOptions } from '../../control-plane/compiler/index.ts'
import { loadManifests } from '../../control-plane/manifests/load.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { CRD_FIXTURES_DIR, conformanceCases } from '../support/traefik-data.ts'
import { canonical } from './provider-compare.ts'

const FIXTURES = CRD_FIXTURES_DIR

interface Case {
  name: string
  test: string
  goLine: number
  fixtures: string[]
  providerOptions: ProviderOptions
  serversOrderInsensitive?: boolean
}

interface FullCase extends Case {
  expected: DynamicConfig
}

interface AssertionCase extends Case {
  assert: {
    routerMiddlewares?: { router: string; equals: string[] }
    routerAbsent?: string
    servicePresent?: Record<string, boolean>
    routerTLSOptions?: { router: string; equals: string }
    serviceServersTransport?: { service: string; equals: string }
    serviceAbsent?: string
  }
}

function readCases<T>(file: string): T[] {
  return conformanceCases<T[]>(file)
}

async function run(c: Case): Promise<DynamicConfig> {
  const loaded = await loadManifests(c.fixtures.map((f) => join(FIXTURES, f)))
  expect(loaded.diagnostics).toEqual([])
  return compile(loaded.snapshot, c.providerOptions).config
}

/** Vitest names must be unique: duplicates get their Go line appended. */
function titles<T extends Case>(cases: T[]): Array<[string, T]> {
  const counts = new Map<string, number>()
  for (const c of cases) counts.set(c.name, (counts.get(c.name) ?? 0) + 1)
  return cases.map((c) => [counts.get(c.name)! > 1 ? `${c.name} (line ${c.goLine})` : c.name, c])
}

describe('provider-cases.json (Traefik CRD provider, full configurations)', () => {
  for (const [title, c] of titles(readCases<FullCase>('provider-cases.json'))) {
    it(`${c.test}: ${title}`, async () => {
      const config = await run(c)
      const options = { serversOrderInsensitive: c.serversOrderInsensitive === true }
      expect(canonical(config, options)).toEqual(canonical(c.expected, options))
    })
  }
})

describe('provider-assertion-cases.json (Traefik CRD provider, single facts)', () => {
  for (const [title, c] of titles(readCases<AssertionCase>('provider-assertion-cases.json'))) {
    it(`${c.test}: ${title}`, async () => {
      const { http } = await run(c)
      const a = c.assert
      let checked = 0
      if (a.routerMiddlewares) {
        expect(http?.routers?.[a.routerMiddlewares.router]?.middlewares).toEqual(a.routerMiddlewares.equals)
        checked++
      }
      if (a.routerAbsent !== undefined) {
        expect(http?.routers).not.toHaveProperty([a.routerAbsent])
        checked++
      }
      if (a.servicePresent) {
        for (const [name, present] of Object.entries(a.servicePresent)) {
          expect(Object.hasOwn(http?.services ?? {}, name), name).toBe(present)
        }
        checked++
      }
      if (a.routerTLSOptions) {
        expect(http?.routers?.[a.routerTLSOptions.router]?.tls?.options).toBe(a.routerTLSOptions.equals)
        checked++
      }
      if (a.serviceServersTransport) {
        const lb = http?.services?.[a.serviceServersTransport.service]?.loadBalancer
        expect(lb?.serversTransport).toBe(a.serviceServersTransport.equals)
        checked++
      }
      if (a.serviceAbsent !== undefined) {
        expect(http?.services).not.toHaveProperty([a.serviceAbsent])
        checked++
      }
      expect(checked, 'every assertion kind of the case is understood').toBe(Object.keys(a).length)
    })
  }
})
