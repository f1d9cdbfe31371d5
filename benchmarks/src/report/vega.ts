/**
 * Renders a Vega-Lite specification to SVG, headless: Vega's scenegraph writes SVG without a canvas.
 *
 * @module
 */
import { parse, View } from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

/** The look every chart shares (fonts, sizes, muted grid). */
export const chartConfig = {
  font: 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif',
  background: '#ffffff',
  padding: 12,
  title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: '#4b5563', anchor: 'start', offset: 12 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e5e7eb' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom', columns: 2, labelLimit: 0, symbolStrokeWidth: 2 },
  view: { stroke: '#9ca3af' },
} as const satisfies TopLevelSpec['config']

/**
 * Compiles `spec` (Vega-Lite) and renders it to an SVG document.
 *
 * @example
 * ```ts
 * const svg = await renderSvg({ data: { values: [{ x: 1, y: 2 }] }, mark: 'point', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } })
 * ```
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Vega tags the data rows it ingests: give it a copy, so the caller's spec stays as built.
  const view = new View(parse(compile(structuredClone({ config: chartConfig, ...spec })).spec), { renderer: 'none' })
  try {
    return `${await view.toSVG()}\n`
  } finally {
    view.finalize()
  }
}
