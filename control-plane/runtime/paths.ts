// Where the repository's runtime inputs live.
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url).href))
export const DEFAULT_WORKER = join(REPO_ROOT, 'edge-worker/src/index.ts')
/** The local stand-in of the cluster's tunnel (the Workers VPC Network binding). */
export const TUNNEL_STAND_IN = join(REPO_ROOT, 'edge-worker/src/local/tunnel-stand-in.ts')
/** Gitignored: signing key, generated workerd configs. */
export const DEFAULT_STATE_DIR = join(REPO_ROOT, '.state')
export const DEV_SIGNING_KEY = 'signing-key.jwk.json'
/** The key pair table secrets are sealed to (the edge holds the private half). */
export const DEV_SECRETS_KEY = 'secrets-key.jwk.json'
