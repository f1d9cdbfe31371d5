/**
 * The figures the suite prints (and `docs/reliability.md` reports): one table per section, printed when the
 * test file ends and also written as JSON under the system temp directory.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** One row of a figures table. */
export type FigureRow = Readonly<Record<string, string | number | boolean>>

/** A table of figures for one section. */
export interface FigureTable {
  add(row: FigureRow): void
  readonly rows: readonly FigureRow[]
  /** Prints the table as Markdown and writes `<tmp>/onbehalf-reliability/<section>.json`. */
  print(): void
}

/** Where the JSON files go. */
export const figuresDirectory = join(tmpdir(), 'onbehalf-reliability')

/**
 * Creates the figures table of a section.
 *
 * @example
 * ```ts
 * const figures = createFigureTable('idp-faults')
 * figures.add({ engine: 'jose', fault: '503 burst', code: 'SERVER_ERROR', requests: 3, ms: 812 })
 * afterAll(() => figures.print())
 * ```
 */
export function createFigureTable(section: string): FigureTable {
  const rows: FigureRow[] = []
  return {
    rows,
    add: (row) => {
      rows.push(row)
    },
    print() {
      if (rows.length === 0) return
      const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))]
      const cell = (value: unknown): string =>
        value === undefined ? '' : (typeof value === 'string' ? value : JSON.stringify(value)).replace(/\|/g, '\\|')
      const lines = [
        `\n### ${section}`,
        `| ${columns.join(' | ')} |`,
        `| ${columns.map(() => '---').join(' | ')} |`,
        ...rows.map((row) => `| ${columns.map((column) => cell(row[column])).join(' | ')} |`),
      ]
      console.log(lines.join('\n'))
      mkdirSync(figuresDirectory, { recursive: true })
      writeFileSync(join(figuresDirectory, `${section}.json`), JSON.stringify(rows, null, 2))
    },
  }
}
