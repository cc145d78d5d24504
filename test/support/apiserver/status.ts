// Kubernetes Status objects: the body of every error answer and of 410 watch ERROR events.

export interface StatusCause {
  reason: string
  message: string
  field: string
}

export interface StatusBody {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure'
  message: string
  reason: string
  code: number
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] }
}

export function status(code: number, reason: string, message: string, details?: StatusBody['details']): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(details ? { details } : {}) }
}
