/**
 * `npm run signing-key -- generate --out FILE [--alg Ed25519|ES256] [--kid KID]`
 *     writes a new private signing key (JWK, mode 0600; refuses to overwrite) and prints its kid.
 * `npm run signing-key -- jwks [--alg ALG] FILE...`
 *     prints the JWKS of the keys' public halves: the edge's TABLE_JWKS. Rotation: give the current
 *     and the next key, deploy that, then switch the control plane's --signing-key; later print the
 *     JWKS of the next key alone and deploy again (docs/table.md "Signing and keys").
 * `npm run signing-key -- secrets-key --out FILE`
 *     writes a new key pair for sealing middleware secrets (docs/secrets.md): FILE holds the private
 *     JWK (the worker's SECRETS_KEY secret; mode 0600); the public JWK, which the controller's
 *     --secrets-key reads, is printed.
 * Exit 2 on a usage error, 1 when a key cannot be read or written.
 *
 * @module
 */
import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { generateSigningKey, jwksOf, readKeyFile } from '../publish/jwks.ts'
import { loadOrCreateDevSecretsKey } from '../publish/seal-secrets.ts'

const USAGE = `usage: npm run signing-key -- generate --out FILE [--alg Ed25519|ES256] [--kid KID]
       npm run signing-key -- jwks [--alg ALG] FILE...
       npm run signing-key -- secrets-key --out FILE
`

export async function main(argv: readonly string[], io: { stdout: (t: string) => void; stderr: (t: string) => void }): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { out: { type: 'string' }, alg: { type: 'string' }, kid: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
  } catch (err) {
    io.stderr(`signing-key: ${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const [command, ...files] = positionals
  if (values.help) {
    io.stdout(USAGE)
    return 0
  }
  const usage = (message: string) => (io.stderr(`signing-key: ${message}\n${USAGE}`), 2)
  if (values.alg !== undefined && !['Ed25519', 'ES256'].includes(values.alg)) return usage(`--alg: "${values.alg}" is not Ed25519 or ES256`)
  try {
    if (command === 'generate') {
      if (!values.out || files.length) return usage('generate takes --out FILE and nothing else')
      const key = await generateSigningKey(values.out, {
        ...(values.alg ? { alg: values.alg as 'Ed25519' | 'ES256' } : {}),
        ...(values.kid ? { kid: values.kid } : {}),
      })
      io.stdout(`${key.kid}\n`)
      return 0
    }
    if (command === 'secrets-key') {
      if (!values.out || files.length) return usage('secrets-key takes --out FILE and nothing else')
      if (existsSync(values.out)) throw new Error(`${values.out} exists; not overwriting a key`)
      const { binding } = await loadOrCreateDevSecretsKey(values.out)
      const { d: _d, ...pub } = JSON.parse(binding) as Record<string, unknown>
      io.stdout(JSON.stringify(pub) + '\n')
      return 0
    }
    if (command === 'jwks') {
      if (files.length === 0) return usage('jwks needs at least one key file')
      const keys = await Promise.all(
        files.map((f) =>
          readKeyFile(f, values.alg ? { alg: values.alg } : {}).catch((err: unknown) => Promise.reject(new Error(`${f}: ${(err as Error).message}`))),
        ),
      )
      io.stdout(JSON.stringify(await jwksOf(keys)) + '\n')
      return 0
    }
  } catch (err) {
    io.stderr(`signing-key: ${(err as Error).message}\n`)
    return 1
  }
  return usage(command ? `unknown command "${command}"` : 'a command is needed')
}

if (import.meta.main) {
  process.exit(await main(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }))
}
