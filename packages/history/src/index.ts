export { openHistory } from './history.ts'
export {
  HistoryBlockedError,
  HistoryClosedError,
  HistoryError,
  HistoryQuotaError,
  HistoryWriteError,
  InvalidHistoryInputError,
  type ClosedReason,
} from './errors.ts'
export { REDACTED } from './redact.ts'
export type {
  History,
  HistoryOptions,
  HistoryQuery,
  HistoryStats,
  HistoryStatus,
  ImportReport,
  ReplayOptions,
  ReplayResult,
  TimeInput,
  Where,
  WhereCondition,
  WhereOperator,
} from './types.ts'
