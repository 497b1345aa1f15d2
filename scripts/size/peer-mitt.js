// A peer, measured the way the Tidings budgets are (see .size-limit.cjs).
export { default as mitt } from 'mitt'
