/**
 * For tests of the TLS, middleware and ServersTransport builders: real manifests (files or YAML
 * text) through the real loader and the real compile(), without schema validation, as
 * Traefik's own provider tests run.
 *
 * @module
 */

import { join } from 'node:path'
import type { Diagnostic } from '../../control-plane/compiler/diagnostics/diagnostics.ts'
import { compile } from '../../control-plane/compiler/index.ts'
import type { ProviderOptions } from '../../control-plane/compiler/options/options.ts'
import type { Snapshot } from '../../control-plane/compiler/snapshot/snapshot.ts'
import { loadManifests, parseManifestText } from '../../control-plane/manifests/load.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { CRD_FIXTURES_DIR, conformanceCases } from './traefik-data.ts'

export interface PipelineResult {
  config: DynamicConfig
  diagnostics: Diagnostic[]
}

export async function compileFiles(files: string[], options: Partial<ProviderOptions> = {}): Promise<PipelineResult> {
  const loaded = await loadManifests(files)
  if (loaded.diagnostics.length > 0) throw new Error(`fixtures did not load: ${JSON.stringify(loaded.diagnostics)}`)
  return compileSnapshot(loaded.snapshot, options)
}

/** Compiles manifests given as YAML text. */
export function compileYAML(yaml: string, options: Partial<ProviderOptions> = {}): PipelineResult {
  const parsed = parseManifestText(yaml, 'test.yaml')
  if (parsed.diagnostics.length > 0) throw new Error(`YAML did not load: ${JSON.stringify(parsed.diagnostics)}`)
  return compileSnapshot({ objects: parsed.objects.map((o) => o.object) }, options)
}

function compileSnapshot(snapshot: Snapshot, options: Partial<ProviderOptions>): PipelineResult {
  // Traefik's tests feed the provider unvalidated objects: so do these.
  return compile(snapshot, { ...options, validate: false })
}

/** A full case of test/traefik/conformance/provider-cases.json. */
export interface ProviderCase {
  name: string
  test: string
  goLine: number
  fixtures: string[]
  providerOptions: ProviderOptions
  expected: DynamicConfig
}

/** Every full provider case, titled uniquely (duplicated names get their Go line). */
export function providerCases(): Array<[string, ProviderCase]> {
  const cases = conformanceCases<ProviderCase[]>('provider-cases.json')
  const counts = new Map<string, number>()
  for (const c of cases) counts.set(c.name, (counts.get(c.name) ?? 0) + 1)
  return cases.map((c) => [`${c.test}: ${c.name}${counts.get(c.name)! > 1 ? ` (line ${c.goLine})` : ''}`, c])
}

export function compileCase(c: ProviderCase): Promise<PipelineResult> {
  return compileFiles(
    c.fixtures.map((f) => join(CRD_FIXTURES_DIR, f)),
    c.providerOptions,
  )
}
