/**
 * The benchmark harness as a library (used by `compare.ts` and the harness test).
 *
 * @module
 */
export { runComparison } from './harness.ts'
export type { RunOptions } from './harness.ts'
export { fullSettings, quickSettings } from './settings.ts'
export type { ComparisonSettings } from './settings.ts'
export { consoleSummary, readmeSnippet, writeOutputs } from './outputs.ts'
export type { OutputPaths, WrittenOutputs } from './outputs.ts'
export { computeBars } from './bars.ts'
export { contenderIds, contenderLabels, isNotApplicable, isSkipped } from './results.ts'
export type * from './results.ts'
