/**
 * encodedCharacters: refuses (400) a request whose escaped path holds an encoded character
 * that could change how a server behind splits or reads the path (`%2F` `%5C` `%00` `%3B`
 * `%25` `%3F` `%23`, hex in either case), unless its allowEncoded* option is set.
 *
 * @module
 */
import type { EncodedCharacters } from '../../../../shared/dynamic/types.ts'
import { httpError, type Handler } from '../../request.ts'

const CHECKS: Array<[keyof EncodedCharacters, string]> = [
  ['allowEncodedSlash', '2f'],
  ['allowEncodedBackSlash', '5c'],
  ['allowEncodedNullCharacter', '00'],
  ['allowEncodedSemicolon', '3b'],
  ['allowEncodedPercent', '25'],
  ['allowEncodedQuestionMark', '3f'],
  ['allowEncodedHash', '23'],
]

export function encodedCharacters(config: EncodedCharacters): (next: Handler) => Handler {
  const denied = CHECKS.filter(([flag]) => config?.[flag] !== true).map(([, hex]) => hex)
  const pattern = denied.length ? new RegExp(`%(?:${denied.join('|')})`, 'i') : null
  return (next) =>
    async function encodedCharacters(req) {
      if (pattern !== null && req.path.includes('%') && pattern.test(req.path)) return httpError(400, 'Bad Request')
      return next(req)
    }
}
