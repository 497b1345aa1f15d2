export { openHistory } from './history.js'
export {
  HistoryBlockedError,
  HistoryClosedError,
  HistoryDataError,
  HistoryError,
  HistoryExportError,
  HistoryQuotaError,
  HistoryWriteError,
  InvalidHistoryInputError,
  type ClosedReason,
} from './errors.js'
export { REDACTED } from './redact.js'
export type {
  History,
  HistoryOptions,
  HistoryQuery,
  HistoryStats,
  HistoryProgress,
  HistoryStatus,
  ImportReport,
  ReadOptions,
  ReplayOptions,
  ReplayResult,
  TimeInput,
  Where,
  WhereCondition,
  WhereOperator,
} from './types.js'
