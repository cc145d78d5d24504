/**
 * The worker variables that switch observability on (edge-worker/src/observability/settings.ts
 * reads them): what the control plane's CLI flags write into the worker's configuration.
 *
 * @module
 */
/** The bindings that turn these on, for the control plane's CLI flags (npm run edge, --emit-workerd). */
export function observabilityVars(o: { accessLog?: boolean; tracingEndpoint?: string | undefined }): Record<string, string> {
  return {
    ...(o.accessLog ? { ACCESS_LOG: 'true' } : {}),
    ...(o.tracingEndpoint ? { TRACING_OTLP_ENDPOINT: o.tracingEndpoint } : {}),
  }
}
