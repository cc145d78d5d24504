// The worker module of the local `wrangler dev` configuration (control-plane/runtime/wrangler-local-config.ts):
// the deployed module, plus the tunnel stand-in as an entrypoint the local configuration binds as
// VPC_NETWORK (wrangler.toml's VPC Network binding has no local simulator).
export { default } from '../index.ts'
export * from '../index.ts'
export { LocalTunnel } from './tunnel-stand-in.ts'
