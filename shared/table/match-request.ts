// The request facts rule matching reads: shared/rules' shape, so the table and the matcher agree.
export type { MatchRequest } from '../rules/index.ts'
