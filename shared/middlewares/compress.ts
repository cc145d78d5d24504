/**
 * compress's configuration as Traefik reads it: the media types (without parameters; gRPC is
 * never compressed), the minimum size, the encodings and the default one.
 *
 * @module
 */
import type { Compress } from '../dynamic/types.ts'
import { parseMediaType } from '../http/media-type.ts'

export const COMPRESS_ENCODINGS = ['gzip', 'br', 'zstd'] as const
const DEFAULT_MIN_SIZE = 1024

export interface CompressSettings {
  excluded: string[]
  included: string[]
  minSize: number
  encodings: string[]
  defaultEncoding: string
}

export function compressConfig(config: Compress): CompressSettings {
  if (config.excludedContentTypes?.length && config.includedContentTypes?.length) {
    throw new Error('compress: excludedContentTypes and includedContentTypes options are mutually exclusive')
  }
  // gRPC is never compressed, requests or responses; types are compared without parameters.
  const excluded = ['application/grpc', ...mediaTypes('excludedContentTypes', config.excludedContentTypes)]
  const included = mediaTypes('includedContentTypes', config.includedContentTypes)
  // Not positive: the default (Traefik's).
  const minSize = (config.minResponseBodyBytes ?? 0) > 0 ? Math.floor(config.minResponseBodyBytes!) : DEFAULT_MIN_SIZE
  // Traefik's defaults give [gzip, br, zstd] when the field is left out.
  const encodings = config.encodings?.length ? config.encodings : [...COMPRESS_ENCODINGS]
  for (const e of encodings) {
    if (!(COMPRESS_ENCODINGS as readonly string[]).includes(e)) throw new Error(`compress: unsupported encoding: ${e}`)
  }
  const defaultEncoding = config.defaultEncoding ?? ''
  if (defaultEncoding !== '' && !encodings.includes(defaultEncoding)) throw new Error(`compress: unsupported default encoding: ${defaultEncoding}`)
  return { excluded, included, minSize, encodings, defaultEncoding }
}

function mediaTypes(field: string, values: string[] | undefined): string[] {
  return (values ?? []).map((v) => {
    const parsed = parseMediaType(v)
    if (!parsed) throw new Error(`compress: ${field}: parsing media type ${JSON.stringify(v)}`)
    return parsed.type
  })
}
