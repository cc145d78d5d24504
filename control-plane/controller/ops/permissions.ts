// Every Kubernetes API permission the controller uses, in RBAC's terms: what deploy/rbac.yaml
// grants, no more (deploy/rbac.test.ts checks both directions, and that a running controller
// asks for nothing else). Watched kinds come from control-plane/controller/kube/watched-kinds.ts.
import { CORE_WATCHED, NODE_WATCHED, TRAEFIK_WATCHED } from '../kube/watched-kinds.ts'

export interface Permission {
  /** API group ('' for core). */
  group: string
  resource: string
  verb: string
  /** `cluster`: in every namespace (ClusterRole); `own`: only the controller's namespace (Role). */
  scope: 'cluster' | 'own'
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : ''
}

/** The resource name is the collection path's last segment (`/apis/g/v/ingressroutes`). */
function resourceOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

export const CONTROLLER_PERMISSIONS: readonly Permission[] = [
  // Informers: a list, then a watch, per watched kind (control-plane/controller/kube/informer.ts); Nodes
  // (for nodePortLB) unless --disable-cluster-scope-resources.
  ...[...TRAEFIK_WATCHED, ...CORE_WATCHED, NODE_WATCHED].flatMap((k) =>
    (['list', 'watch'] as const).map((verb) => ({ group: groupOf(k.apiVersion), resource: resourceOf(k.path()), verb, scope: 'cluster' as const })),
  ),
  // Events on the objects with problems; a new leader lists the Events earlier leaders wrote (events.ts).
  ...(['create', 'patch', 'list'] as const).map((verb) => ({ group: '', resource: 'events', verb, scope: 'cluster' as const })),
  // Leader election on a Lease in the controller's own namespace (leader-election.ts).
  ...(['get', 'create', 'update'] as const).map((verb) => ({ group: 'coordination.k8s.io', resource: 'leases', verb, scope: 'own' as const })),
]

/** `group/resource verb scope`: a comparable form. */
export function permissionKey(p: Permission): string {
  return `${p.group || 'core'}/${p.resource} ${p.verb} ${p.scope}`
}
