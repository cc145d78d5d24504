// Kubernetes' protobuf encoding of request bodies, for the kinds kubectl's typed clients send that
// way (`create namespace|secret|configmap|serviceaccount|service|token`, `auth can-i`): the `k8s\0`
// envelope around a runtime.Unknown {typeMeta, raw}, and the fields of those kinds (numbers from
// k8s.io/api's generated.proto). Answers are always JSON, which those clients accept too. Any
// other protobuf body is refused with 415.

type Field = readonly [name: string, kind: Kind]
type Kind = 'string' | 'int' | 'bool' | 'bytes' | 'intOrString' | Message | readonly ['map', 'string' | 'bytes'] | readonly ['repeated', Kind]
interface Message {
  readonly [n: number]: Field
}

const TYPE_META: Message = { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] }
const UNKNOWN: Message = { 1: ['typeMeta', TYPE_META], 2: ['raw', 'bytes'], 3: ['contentEncoding', 'string'], 4: ['contentType', 'string'] }
const OBJECT_META: Message = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  11: ['labels', ['map', 'string']],
  12: ['annotations', ['map', 'string']],
  14: ['finalizers', ['repeated', 'string']],
}
const RESOURCE_ATTRIBUTES: Message = {
  1: ['namespace', 'string'],
  2: ['verb', 'string'],
  3: ['group', 'string'],
  4: ['version', 'string'],
  5: ['resource', 'string'],
  6: ['subresource', 'string'],
  7: ['name', 'string'],
}

const SERVICE_PORT: Message = {
  1: ['name', 'string'],
  2: ['protocol', 'string'],
  3: ['port', 'int'],
  4: ['targetPort', 'intOrString'],
  5: ['nodePort', 'int'],
  6: ['appProtocol', 'string'],
}

const KINDS: Record<string, Message> = {
  Service: {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['ports', ['repeated', SERVICE_PORT]],
        2: ['selector', ['map', 'string']],
        3: ['clusterIP', 'string'],
        4: ['type', 'string'],
        10: ['externalName', 'string'],
      },
    ],
  },
  Namespace: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['finalizers', ['repeated', 'string']] }] },
  ServiceAccount: { 1: ['metadata', OBJECT_META], 4: ['automountServiceAccountToken', 'bool'] },
  Secret: {
    1: ['metadata', OBJECT_META],
    2: ['data', ['map', 'bytes']],
    3: ['type', 'string'],
    4: ['stringData', ['map', 'string']],
    5: ['immutable', 'bool'],
  },
  ConfigMap: { 1: ['metadata', OBJECT_META], 2: ['data', ['map', 'string']], 3: ['binaryData', ['map', 'bytes']], 4: ['immutable', 'bool'] },
  SelfSubjectAccessReview: {
    1: ['metadata', OBJECT_META],
    2: ['spec', { 1: ['resourceAttributes', RESOURCE_ATTRIBUTES], 2: ['nonResourceAttributes', { 1: ['path', 'string'], 2: ['verb', 'string'] }] }],
  },
  SelfSubjectRulesReview: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['namespace', 'string'] }] },
  TokenRequest: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['audiences', ['repeated', 'string']], 4: ['expirationSeconds', 'int'] }] },
}

export const PROTOBUF = 'application/vnd.kubernetes.protobuf'

/** The JSON object a protobuf request body encodes, or null when its kind is not one spoken here. */
export function decodeKubeProtobuf(body: Buffer): Record<string, unknown> | null {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\u0000') return null
  const unknown = decode(body.subarray(4), UNKNOWN)
  const meta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string }
  const fields = KINDS[meta.kind ?? '']
  if (!fields || !(unknown.raw instanceof Uint8Array)) return null
  return { apiVersion: meta.apiVersion, kind: meta.kind, ...decode(Buffer.from(unknown.raw), fields) }
}

function varint(buf: Buffer, at: number): [bigint, number] {
  let v = 0n
  let shift = 0n
  for (;;) {
    const b = buf[at++]
    if (b === undefined) throw new Error('truncated varint')
    v |= BigInt(b & 0x7f) << shift
    if ((b & 0x80) === 0) return [v, at]
    shift += 7n
  }
}

function decode(buf: Buffer, message: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  let at = 0
  while (at < buf.length) {
    const [key, next] = varint(buf, at)
    at = next
    const field = Number(key >> 3n)
    const wire = Number(key & 7n)
    let raw: Buffer | bigint
    if (wire === 0) [raw, at] = varint(buf, at)
    else if (wire === 2) {
      const [len, start] = varint(buf, at)
      raw = buf.subarray(start, start + Number(len))
      at = start + Number(len)
    } else if (wire === 1) {
      raw = buf.readBigUInt64LE(at)
      at += 8
    } else if (wire === 5) {
      raw = BigInt(buf.readUInt32LE(at))
      at += 4
    } else throw new Error(`unsupported protobuf wire type ${wire}`)
    const spec = message[field]
    if (!spec) continue
    const [name, kind] = spec
    if (Array.isArray(kind) && kind[0] === 'map') {
      const entry = decode(raw as Buffer, { 1: ['key', 'string'], 2: ['value', kind[1] as Kind] })
      const map = (out[name] ??= {}) as Record<string, unknown>
      map[String(entry.key ?? '')] = kind[1] === 'bytes' ? Buffer.from((entry.value as Uint8Array | undefined) ?? []).toString('base64') : (entry.value ?? '')
    } else if (Array.isArray(kind) && kind[0] === 'repeated') {
      ;((out[name] ??= []) as unknown[]).push(scalar(raw, kind[1] as Kind))
    } else out[name] = scalar(raw, kind as Kind)
  }
  return out
}

function scalar(raw: Buffer | bigint, kind: Kind): unknown {
  if (kind === 'string') return (raw as Buffer).toString('utf8')
  if (kind === 'bytes') return new Uint8Array(raw as Buffer)
  if (kind === 'int') return Number(BigInt.asIntN(64, raw as bigint))
  if (kind === 'bool') return (raw as bigint) !== 0n
  if (kind === 'intOrString') {
    // k8s.io/apimachinery's IntOrString: {type 1 (0 int, 1 string), intVal 2, strVal 3}.
    const v = decode(raw as Buffer, { 1: ['type', 'int'], 2: ['intVal', 'int'], 3: ['strVal', 'string'] })
    return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0)
  }
  return decode(raw as Buffer, kind as Message)
}
