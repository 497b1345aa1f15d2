// The "all five packages" size budget: every export of every package, from the built dist/.
export * as core from '@tidings/core'
export * as tabs from '@tidings/tabs'
export * as worker from '@tidings/worker'
export * as history from '@tidings/history'
export * as devtools from '@tidings/devtools'
