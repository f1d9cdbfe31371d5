/**
 * Markdown tables: one helper for every table of the page, and the rows of a per-contender scenario table
 * (a contender that did not take part gets its reason in the second column).
 *
 * @module
 */
import { contenderLabels, isNotApplicable, type ContenderId, type NotApplicable } from '../results.ts'

/** A column: header, alignment (default left). */
export interface Column {
  readonly header: string
  readonly align?: 'left' | 'right'
}

/**
 * A GitHub-flavoured Markdown table. A `|` inside a cell is escaped.
 *
 * @example
 * ```ts
 * markdownTable([{ header: 'users', align: 'right' }, { header: 'median' }], [['1', '2.1 µs']])
 * ```
 */
export function markdownTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string =>
    `| ${columns.map((_, i) => (cells[i] ?? '').replace(/\|/g, '\\|')).join(' | ')} |`
  return [
    line(columns.map((c) => c.header)),
    `| ${columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n')
}

/**
 * One row per contender of `ids` that has a result: `[label, ...cells(result)]`, or, for a contender that did
 * not take part, `[label, reason, '–', …]` as wide as the table.
 *
 * @example
 * ```ts
 * contenderRows(ids, results.herd, 7, (r) => [formatCount(r.concurrency), ...])
 * ```
 */
export function contenderRows<T extends object>(
  ids: readonly ContenderId[],
  byContender: Readonly<Partial<Record<ContenderId, T | NotApplicable>>>,
  width: number,
  cells: (result: T, id: ContenderId) => readonly string[],
  labels: Readonly<Record<ContenderId, string>> = contenderLabels,
): string[][] {
  return ids.flatMap((id) => {
    const result = byContender[id]
    if (result === undefined) return []
    if (isNotApplicable(result)) {
      return [[labels[id], result.notApplicable, ...Array.from({ length: Math.max(0, width - 2) }, () => '–')]]
    }
    return [[labels[id], ...cells(result, id)]]
  })
}
