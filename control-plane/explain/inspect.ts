/**
 * One build of the manifests with everything along the way kept: the loaded objects (and where
 * they were read), Traefik's dynamic configuration, the compiler's and the edge table's
 * diagnostics, and the table as `npm run edge` publishes it. Explain, diff and the dashboard all
 * read this, so they see what the edge serves.
 *
 * @module
 */
import { compile, type Diagnostic, type ProviderOptions } from '../compiler/index.ts'
import { loadManifests, type LoadResult } from '../manifests/load.ts'
import { edgeTableStage } from '../pipeline/edge-table.ts'
import type { Built } from '../pipeline/built.ts'
import { buildEdgeTable, type BuiltEdgeTable } from '../table/index.ts'
import { locateEdgeDiagnostics, uniqueDiagnostics } from '../diagnostics/edge-located.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import type { EdgeTarget } from '../../shared/table/capabilities.ts'
import { prepareTable } from '../../shared/table/prepare.ts'
import type { EdgeTable } from '../../shared/table/schema.ts'
import type { SplitTable } from '../../shared/table/split.ts'
import type { RoutingView } from '../../shared/table/view.ts'

export interface InspectOptions {
  provider?: Partial<ProviderOptions>
  /** The entry points the edge serves, the first being the HTTP listener's (default ['web']). */
  entryPoints?: string[]
  target?: EdgeTarget
}

export interface Inspection {
  loaded: LoadResult
  config: DynamicConfig
  compileDiagnostics: Diagnostic[]
  /** The whole edge table with its structured diagnostics. */
  edge: BuiltEdgeTable
  /** `edge.diagnostics`, one for one, said of the objects and fields they come from. */
  edgeLocated: Diagnostic[]
  /** Every problem of the build, as `npm run compile` prints them: the compiler's, then the edge's. */
  diagnostics: Diagnostic[]
  /** What the publisher stores (split by host), built by the same stage as `npm run edge`. */
  built: Built
  options: Required<Pick<InspectOptions, 'entryPoints' | 'target'>> & { provider: Partial<ProviderOptions> }
}

export async function inspectManifests(paths: readonly string[], options: InspectOptions = {}): Promise<Inspection> {
  return inspectLoaded(await loadManifests(paths), options)
}

export function inspectLoaded(loaded: LoadResult, options: InspectOptions = {}): Inspection {
  const entryPoints = options.entryPoints?.length ? options.entryPoints : ['web']
  const target = options.target ?? 'workerd'
  const provider = options.provider ?? {}
  const { config, diagnostics } = compile(loaded.snapshot, provider)
  const built = edgeTableStage({ entryPoint: entryPoints[0]!, entryPoints, target })(config)
  const edge = buildEdgeTable(config, { target, entryPoints })
  const compileDiagnostics = [...loaded.diagnostics, ...diagnostics]
  const edgeLocated = locateEdgeDiagnostics(edge.diagnostics, loaded.snapshot)
  return {
    loaded,
    config,
    compileDiagnostics,
    edge,
    edgeLocated,
    diagnostics: [...compileDiagnostics, ...uniqueDiagnostics(edgeLocated)],
    built,
    options: { entryPoints, target, provider },
  }
}

/** The table parts as the publisher stores them, merged back: what every edge isolate can load. */
export function storedParts(built: Built): EdgeTable[] {
  const { rest, hosts } = built.table.routes as { rest: EdgeTable; hosts: SplitTable['hosts'] | Map<string, EdgeTable> }
  return [rest, ...(hosts instanceof Map ? hosts.values() : Object.values(hosts))]
}

/** The edge's prepared view of the published table (shared/table/prepare.ts, as the worker prepares it). */
export function routingView(built: Built): RoutingView {
  return prepareTable(storedParts(built), [built.table.endpoints])
}
