// The line a benchmark child prints last: RESULT_MARK + JSON of { ok: true, result } | { ok: false, error }.
export const RESULT_MARK = '@@tidings-bench-result '
