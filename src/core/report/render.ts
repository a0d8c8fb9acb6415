/**
 * Figures drawn without a browser: charts as Vega-Lite specs compiled and rendered to SVG by Vega
 * (renderer 'none': no canvas), and any SVG rasterised to PNG by resvg with the system's fonts
 * (DejaVu Sans; WenQuanYi Micro Hei for Chinese). Both libraries load on first use only: the
 * report is the one thing that needs them.
 */
import { LabError } from '../errors';
import { REPORT_FONT } from './heatmap';

type VegaModule = typeof import('vega');
/** What the report uses of vega-lite (its types do not resolve under this project's moduleResolution). */
interface VegaLiteModule {
  compile(spec: Record<string, unknown>): { spec: Parameters<VegaModule['parse']>[0] };
}
/** Not a literal: the module is an ES module loaded at run time, never followed by the bundler. */
const VEGA_LITE = 'vega-lite';
type ResvgModule = typeof import('@resvg/resvg-js');

let libs: Promise<{ vega: VegaModule; vegaLite: VegaLiteModule }> | null = null;

/** vega and vega-lite are ES modules (with top-level await): loaded by import(), never bundled into CommonJS. */
function charts() {
  libs ??= Promise.all([import('vega'), import(VEGA_LITE) as Promise<VegaLiteModule>]).then(([vega, vegaLite]) => ({ vega, vegaLite }));
  return libs;
}

/** A Vega-Lite spec (without data URLs: the values travel inline) as an SVG document. */
export async function chartSvg(spec: Record<string, unknown>): Promise<string> {
  const { vega, vegaLite } = await charts();
  const compiled = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    ...spec,
    config: { font: REPORT_FONT, view: { stroke: '#ccc' }, ...(spec.config as object | undefined) },
  }).spec;
  // No loader may fetch anything: every value is inline.
  const loader = vega.loader({ mode: 'file' });
  loader.load = () => Promise.reject(new Error('the report loads no data'));
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

let resvg: ResvgModule | null = null;

/** An SVG document as a PNG, `zoom` times its size, on white. */
export function svgToPng(svg: string, zoom = 2): Uint8Array {
  if (!resvg) {
    try {
      resvg = require('@resvg/resvg-js') as ResvgModule;
    } catch (e) {
      throw new LabError(
        `cannot draw PNG figures: the package @resvg/resvg-js is not installed for this platform (${String(e).split('\n')[0]})`,
        {
          code: 'not-found',
        },
      );
    }
  }
  const r = new resvg.Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: zoom },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}
