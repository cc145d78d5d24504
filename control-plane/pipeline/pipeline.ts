// manifests -> compile -> edge table: the build step of file mode. The last stage (Traefik's
// dynamic configuration to the edge's split table, ./edge-table.ts) is passed in, so the plumbing
// is the same whatever table the worker reads.
import { compile, formatDiagnostic, type Diagnostic, type ProviderOptions, type Snapshot } from '../compiler/index.ts'
import { loadManifests } from '../manifests/load.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import type { Built } from './built.ts'

/**
 * Traefik's dynamic configuration to what the publisher stores, with what it could not honour and
 * the CA certificates its upstream transports need the runtime to trust.
 */
export type EdgeTableStage = (config: DynamicConfig) => Built

/** Reads and compiles the manifests; throws ManifestError when a file cannot be read or parsed. */
export function manifestPipeline(provider: Partial<ProviderOptions>, toEdge: EdgeTableStage) {
  return async (paths: string[]): Promise<Built> => buildFromSnapshot(await loadManifests(paths), provider, toEdge)
}

/** Compiles loaded objects and turns the result into the edge's table. */
export function buildFromSnapshot(
  loaded: { snapshot: Snapshot; diagnostics: Diagnostic[] },
  provider: Partial<ProviderOptions>,
  toEdge: EdgeTableStage,
): Built {
  const { config, diagnostics } = compile(loaded.snapshot, provider)
  const edge = toEdge(config)
  return { ...edge, problems: [...[...loaded.diagnostics, ...diagnostics].map(line), ...edge.problems] }
}

function line(d: Diagnostic): string {
  return `${formatDiagnostic(d)}${d.source === undefined ? '' : ` (${d.source})`}`
}
