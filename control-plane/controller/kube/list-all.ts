// A full LIST of one collection in pages (limit/continue), as the informer's first list and relists
// do: large clusters answer in bounded pages, and a 410 on a stale continue token restarts the list.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node'
import { kubeRequest } from './request.ts'
import type { WatchTarget } from './watched-kinds.ts'

export const LIST_PAGE_SIZE = 500

export async function listAll(kc: KubeConfig, target: WatchTarget, pageSize = LIST_PAGE_SIZE): Promise<KubernetesListObject<KubernetesObject>> {
  const items: KubernetesObject[] = []
  let next: string | undefined
  let resourceVersion = ''
  do {
    const page = await kubeRequest<KubernetesListObject<KubernetesObject>>(kc, {
      path: target.kind.path(target.namespace),
      query: { limit: pageSize, continue: next, labelSelector: target.labelSelector, fieldSelector: target.fieldSelector },
    })
    // List items carry no kind/apiVersion on a real API server; the compiler reads both.
    for (const item of page.items ?? []) items.push({ ...item, apiVersion: target.kind.apiVersion, kind: target.kind.kind })
    resourceVersion = page.metadata?.resourceVersion ?? ''
    next = page.metadata?._continue ?? (page.metadata as { continue?: string } | undefined)?.continue
  } while (next)
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items }
}
