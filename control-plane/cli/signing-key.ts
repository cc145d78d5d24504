/**
 * `npm run -s signing-key -- generate --out FILE [--alg Ed25519|ES256] [--kid KID]`
 *     writes a new private signing key (JWK, mode 0600; refuses to overwrite) and prints its kid.
 * `npm run -s signing-key -- jwks [--alg ALG] [--out FILE] FILE...`
 *     the JWKS of the keys' public halves, the edge's TABLE_JWKS: printed, or written to --out.
 *     Rotation: give the current and the next key, deploy that, then switch the control plane's
 *     --signing-key; later the JWKS of the next key alone, deployed again (docs/table.md "Signing
 *     and keys").
 * `npm run -s signing-key -- secrets-key --out FILE [--public-out FILE]`
 *     writes a new key pair for sealing middleware secrets (docs/secrets.md): FILE holds the private
 *     JWK (the worker's SECRETS_KEY secret; mode 0600); the public JWK, which the controller's
 *     --secrets-key reads, is written to --public-out, or printed.
 * Output meant for a file is best written with --out: `npm run` without `-s` prints its own banner
 * on stdout, which a shell redirection would capture too.
 * Exit 2 on a usage error, 1 when a key cannot be read or written.
 *
 * @module
 */
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { generateSigningKey, jwksOf, readKeyFile } from '../publish/jwks.ts'
import { loadOrCreateDevSecretsKey } from '../publish/seal-secrets.ts'
import { type CliIO, defineCommand, runAsProcess } from './command.ts'

export const signingKeyCommand = defineCommand({
  name: 'signing-key',
  usage: [
    'npm run -s signing-key -- generate --out FILE [--alg Ed25519|ES256] [--kid KID]',
    'npm run -s signing-key -- jwks [--alg ALG] [--out FILE] FILE...',
    'npm run -s signing-key -- secrets-key --out FILE [--public-out FILE]',
  ],
  about:
    "generate: a new private table signing key (JWK, mode 0600; never overwrites), its kid printed. jwks: the JWKS of the keys' public halves, the edge's TABLE_JWKS (rotation: docs/table.md). secrets-key: a key pair for sealing middleware secrets (docs/secrets.md): FILE holds the private JWK (the worker's SECRETS_KEY), the public JWK (the controller's --secrets-key) goes to --public-out or stdout.",
  positionals: true,
  flags: {
    out: { type: 'string', value: 'FILE', help: 'where the key (generate, secrets-key) or the JWKS (jwks; default stdout) is written' },
    'public-out': { type: 'string', value: 'FILE', defaultText: 'stdout', help: 'secrets-key: where the public JWK is written' },
    alg: {
      type: 'string',
      choices: ['Ed25519', 'ES256'],
      defaultText: 'Ed25519 for generate; read from the JWK for jwks',
      help: "the key's algorithm (jwks: needed for a PEM key)",
    },
    kid: { type: 'string', value: 'KID', defaultText: "the key's JWK thumbprint", help: 'generate: the key id' },
  },
  exits: { 0: 'done', 1: 'a key cannot be read or written', 2: 'usage error' },
})

export function main(argv: readonly string[], io: CliIO): Promise<number> {
  return signingKeyCommand.run(
    argv,
    io,
    (parsed) => parsed,
    async ({ values, positionals }) => {
      const [command, ...files] = positionals
      const usage = (message: string) => signingKeyCommand.usageError(io, message)
      try {
        if (command === 'generate') {
          if (!values.out || files.length || values['public-out']) return usage('generate takes --out FILE and nothing else')
          const key = await generateSigningKey(values.out, {
            ...(values.alg ? { alg: values.alg } : {}),
            ...(values.kid ? { kid: values.kid } : {}),
          })
          io.stdout(`${key.kid}\n`)
          return 0
        }
        if (command === 'secrets-key') {
          if (!values.out || files.length) return usage('secrets-key takes --out FILE [--public-out FILE] and nothing else')
          const publicOut = values['public-out']
          for (const f of [values.out, publicOut]) if (f !== undefined && existsSync(f)) throw new Error(`${f} exists; not overwriting a key`)
          const { binding } = await loadOrCreateDevSecretsKey(values.out)
          const { d: _d, ...pub } = JSON.parse(binding) as Record<string, unknown>
          await emit(io, publicOut, JSON.stringify(pub) + '\n')
          return 0
        }
        if (command === 'jwks') {
          if (files.length === 0 || values['public-out']) return usage('jwks needs at least one key file (and takes --out, not --public-out)')
          const keys = await Promise.all(
            files.map((f) =>
              readKeyFile(f, values.alg ? { alg: values.alg } : {}).catch((err: unknown) => Promise.reject(new Error(`${f}: ${(err as Error).message}`))),
            ),
          )
          await emit(io, values.out, JSON.stringify(await jwksOf(keys)) + '\n')
          return 0
        }
      } catch (err) {
        io.stderr(`signing-key: ${(err as Error).message}\n`)
        return 1
      }
      return usage(command ? `unknown command "${command}"` : 'a command is needed')
    },
  )
}

/** Public material (derived from a key, so rewriting it is harmless): to `file` (mode 0644) or stdout. */
async function emit(io: { stdout: (t: string) => void }, file: string | undefined, text: string): Promise<void> {
  if (file === undefined) io.stdout(text)
  else await writeFile(file, text, { mode: 0o644 })
}

if (import.meta.main) await runAsProcess(main)
