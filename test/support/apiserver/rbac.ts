// Authentication and RBAC as the API server does them for bearer tokens: the admin token is in
// system:masters (everything allowed); a ServiceAccount's token is the user
// system:serviceaccount:NS:NAME in the groups system:serviceaccounts[:NS] and system:authenticated,
// and may do what the stored ClusterRoles/Roles bound to it allow (RoleBindings only in their
// namespace). Discovery, OpenAPI and /version are open to every authenticated user, and every user
// may create SelfSubjectAccessReviews (the system:discovery and system:basic-user ClusterRoles).
// A refusal is 403 Forbidden with the apiserver's Status message.
import { qualifiedResource, type ResourceType } from './resources.ts'
import { StoreError, type Obj, type ObjectStore } from './store.ts'

export interface UserInfo {
  name: string
  groups: string[]
}

export interface RequestAttributes {
  verb: string
  group: string
  resource: string
  subresource?: string
  namespace?: string
  name?: string
}

export interface NonResourceAttributes {
  verb: string
  path: string
}

interface PolicyRule {
  apiGroups?: string[]
  resources?: string[]
  resourceNames?: string[]
  verbs?: string[]
  nonResourceURLs?: string[]
}

export const ADMIN: UserInfo = { name: 'admin', groups: ['system:masters', 'system:authenticated'] }

export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    name: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  }
}

const OPEN_PATHS = [/^\/(api|apis)(\/.*)?$/, /^\/version\/?$/, /^\/openapi(\/.*)?$/, /^\/(healthz|livez|readyz)(\/.*)?$/]

export class Authorizer {
  readonly #store: ObjectStore
  readonly #types: { byKind(kind: string, apiVersion?: string): ResourceType | undefined }

  constructor(store: ObjectStore, types: { byKind(kind: string, apiVersion?: string): ResourceType | undefined }) {
    this.#store = store
    this.#types = types
  }

  allowsNonResource(user: UserInfo, a: NonResourceAttributes): boolean {
    if (user.groups.includes('system:masters')) return true
    if (a.verb === 'get' && OPEN_PATHS.some((p) => p.test(a.path))) return true
    return this.#rules(user, undefined).some(
      (r) =>
        r.verbs?.some((v) => v === '*' || v === a.verb) &&
        r.nonResourceURLs?.some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1)))),
    )
  }

  allows(user: UserInfo, a: RequestAttributes): boolean {
    if (user.groups.includes('system:masters')) return true
    if (a.group === 'authorization.k8s.io' && a.verb === 'create' && (a.resource === 'selfsubjectaccessreviews' || a.resource === 'selfsubjectrulesreviews'))
      return true
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource
    return this.#rules(user, a.namespace).some(
      (r) =>
        (r.verbs ?? []).some((v) => v === '*' || v === a.verb) &&
        (r.apiGroups ?? []).some((g) => g === '*' || g === a.group) &&
        (r.resources ?? []).some(
          (x) => x === '*' || x === resource || (a.subresource !== undefined && x === `${a.resource}/*`) || (x.startsWith('*/') && x === `*/${a.subresource}`),
        ) &&
        (!r.resourceNames?.length || (a.name !== undefined && r.resourceNames.includes(a.name))),
    )
  }

  /** The rules that apply to `user` in `namespace` (cluster-wide bindings, and the namespace's own). */
  rulesFor(user: UserInfo, namespace: string | undefined): PolicyRule[] {
    if (user.groups.includes('system:masters'))
      return [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['*'], verbs: ['*'] },
      ]
    return this.#rules(user, namespace)
  }

  #rules(user: UserInfo, namespace: string | undefined): PolicyRule[] {
    const binding = (kind: string) => this.#types.byKind(kind, 'rbac.authorization.k8s.io/v1')!
    const out: PolicyRule[] = []
    const bound = (b: Obj) =>
      ((b.subjects ?? []) as Array<{ kind: string; name: string; namespace?: string }>).some(
        (s) =>
          (s.kind === 'User' && s.name === user.name) ||
          (s.kind === 'Group' && user.groups.includes(s.name)) ||
          (s.kind === 'ServiceAccount' && user.name === `system:serviceaccount:${s.namespace ?? b.metadata?.namespace}:${s.name}`),
      )
    const rulesOf = (ref: { kind: string; name: string }, ns: string | undefined) => {
      const role = ref.kind === 'ClusterRole' ? this.#store.get(binding('ClusterRole'), undefined, ref.name) : this.#store.get(binding('Role'), ns, ref.name)
      return (role?.rules ?? []) as PolicyRule[]
    }
    for (const b of this.#store.list(binding('ClusterRoleBinding'))) if (bound(b)) out.push(...rulesOf(b.roleRef as { kind: string; name: string }, undefined))
    if (namespace !== undefined && namespace !== '') {
      for (const b of this.#store.list(binding('RoleBinding'), namespace))
        if (bound(b)) out.push(...rulesOf(b.roleRef as { kind: string; name: string }, namespace))
    }
    return out
  }
}

/** 403 Forbidden as the API server words it. */
export function forbiddenError(user: UserInfo, a: RequestAttributes, type: Pick<ResourceType, 'group' | 'plural'>): StoreError {
  const what = a.name ? `${qualifiedResource(type)} "${a.name}"` : qualifiedResource(type)
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope'
  return new StoreError(
    403,
    'Forbidden',
    `${what} is forbidden: User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`,
    {
      ...(a.name ? { name: a.name } : {}),
      ...(a.group ? { group: a.group } : {}),
      kind: a.resource,
    },
  )
}

export function forbiddenPath(user: UserInfo, a: NonResourceAttributes): StoreError {
  return new StoreError(403, 'Forbidden', `forbidden: User "${user.name}" cannot ${a.verb} path "${a.path}"`)
}
