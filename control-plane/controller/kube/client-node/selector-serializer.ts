// Stands in for client-node's serializer where its ListWatch module (dist/cache.js) imports it:
// ListWatch only passes label and field selectors through it as 'string', which the generated
// serializer returns as they are, but loading it evaluates every generated model. load.ts points
// that one import here; a call with any other type is a client-node change this must follow.
export const ObjectSerializer = {
  serialize(data: unknown, type: string): unknown {
    if (type !== 'string')
      throw new Error(`client-node's ListWatch serialized a ${type}: control-plane/controller/kube/client-node/selector-serializer.ts must follow`)
    return data
  },
}
