// A full LIST of one collection in pages (limit/continue), as the informer's first list and relists
// do: large clusters answer in bounded pages, and a 410 on a stale continue token restarts the list.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node'
import { kubeRequest } from './request.ts'
import type { WatchTarget } from './watched-kinds.ts'

export const LIST_PAGE_SIZE = 500

/**
 * `each` runs on every item as its page arrives (the informer slims them there: a page of full
 * objects, managedFields and all, is garbage before the next one is asked for).
 */
export async function listAll(
  kc: KubeConfig,
  target: WatchTarget,
  pageSize = LIST_PAGE_SIZE,
  each?: (item: KubernetesObject) => void,
): Promise<KubernetesListObject<KubernetesObject>> {
  const items: KubernetesObject[] = []
  let next: string | undefined
  let resourceVersion = ''
  do {
    const page = await kubeRequest<KubernetesListObject<KubernetesObject>>(kc, {
      path: target.kind.path(target.namespace),
      query: { limit: pageSize, continue: next, labelSelector: target.labelSelector, fieldSelector: target.fieldSelector },
    })
    // List items carry no kind/apiVersion on a real API server; the compiler reads both. Set in
    // place: a copy would hold each page twice until the list ends.
    for (const item of page.items ?? []) {
      item.apiVersion = target.kind.apiVersion
      item.kind = target.kind.kind
      each?.(item)
      items.push(item)
    }
    resourceVersion = page.metadata?.resourceVersion ?? ''
    next = page.metadata?._continue ?? (page.metadata as { continue?: string } | undefined)?.continue
  } while (next)
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items }
}
