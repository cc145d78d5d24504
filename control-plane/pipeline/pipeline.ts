// manifests -> compile -> edge table: the build step of file mode. The last stage (Traefik's
// dynamic configuration to the edge's split table, ./edge-table.ts) is passed in, so the plumbing
// is the same whatever table the worker reads.
import { compile, type Diagnostic, type ProviderOptions, type Snapshot } from '../compiler/index.ts'
import { problemLine } from '../diagnostics/edge-located.ts'
import { loadManifests, type LoadResult } from '../manifests/load.ts'
import type { BuiltEdgeTable } from '../table/index.ts'
import type { EdgeTarget } from '../../shared/table/capabilities.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import type { Built } from './built.ts'

/**
 * Traefik's dynamic configuration to what the publisher stores, with what it could not honour and
 * what its upstream transports need of the runtime (CAs, the transports' own networks). `context`:
 * the objects the configuration was compiled from, when known (the dashboard the edge serves shows them).
 */
export type EdgeTableStage = (config: DynamicConfig, context?: BuildContext) => Built

/** The objects a build loaded and the compiler's diagnostics. */
export interface BuildContext {
  loaded: LoadResult
  compileDiagnostics: Diagnostic[]
}

/**
 * Writes what the table's internal services serve (dashboard/edge-document.ts), given the table
 * before it is split: digest -> text for the publisher, or undefined when there is nothing to write.
 */
export type DocumentsHook = (o: {
  config: DynamicConfig
  built: BuiltEdgeTable
  entryPoints: string[]
  target: EdgeTarget
  context?: BuildContext
}) => Record<string, string> | undefined

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
  const edge = toEdge(config, {
    loaded: { ...loaded, files: (loaded as { files?: string[] }).files ?? [] },
    compileDiagnostics: [...loaded.diagnostics, ...diagnostics],
  })
  const pods = podAddresses(loaded.snapshot)
  return {
    ...edge,
    problems: [...[...loaded.diagnostics, ...diagnostics].map(problemLine), ...edge.problems],
    // Pods come and go: their addresses keep the pool's path rather than a config entry.
    directUpstreams: edge.directUpstreams.filter((hostPort) => !pods.has(hostPort.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'))),
  }
}

/** Every address an EndpointSlice lists. */
function podAddresses(snapshot: Snapshot): Set<string> {
  const out = new Set<string>()
  for (const obj of snapshot.objects) {
    if (obj.kind !== 'EndpointSlice') continue
    for (const endpoint of (obj as { endpoints?: Array<{ addresses?: string[] } | null> | null }).endpoints ?? [])
      for (const a of endpoint?.addresses ?? []) out.add(a)
  }
  return out
}
