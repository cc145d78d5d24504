import { describe, expect, it } from 'vitest'
import { slimObject } from './slim-object.ts'

describe('slimObject', () => {
  it('drops managedFields and the last-applied annotation in place, keeping every other field', () => {
    const obj = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        namespace: 'demo',
        labels: { app: 'x' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"cGxhaW4="}}', keep: 'me' },
        managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:data': {} } }],
      },
      data: { password: 'cGxhaW4=' },
    }
    expect(slimObject(obj)).toBe(obj)
    expect(obj).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'demo', labels: { app: 'x' }, annotations: { keep: 'me' } },
      data: { password: 'cGxhaW4=' },
    })
  })

  it('removes annotations emptied by the drop, and leaves objects without metadata alone', () => {
    const obj = { metadata: { name: 'a', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } }
    slimObject(obj)
    expect(obj).toEqual({ metadata: { name: 'a' } })
    expect(slimObject({ kind: 'X' })).toEqual({ kind: 'X' })
  })
})
