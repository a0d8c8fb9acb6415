/**
 * Figures drawn without a browser: charts as Vega-Lite specs compiled and rendered to SVG by Vega
 * (renderer 'none': no canvas), and any SVG rasterised to PNG by resvg with the system's fonts
 * (DejaVu Sans; WenQuanYi Micro Hei for Chinese). Both libraries load on first use only: the
 * report is the one thing that needs them.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

/**
 * vega and vega-lite are ES modules (with top-level await): loaded by import(), never bundled into
 * CommonJS. The packaged extension has them as one module beside its worker (vendor/report-charts.mjs,
 * scripts/build-extension.mjs); the CLI and the tests load them from node_modules.
 */
function charts() {
  const vendored = join(__dirname, 'vendor', 'report-charts.mjs');
  libs ??= existsSync(vendored)
    ? (import(pathToFileURL(vendored).href) as Promise<{ vega: VegaModule; vegaLite: VegaLiteModule }>)
    : Promise.all([import('vega'), import(VEGA_LITE) as Promise<VegaLiteModule>]).then(([vega, vegaLite]) => ({ vega, vegaLite }));
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

/**
 * The packaged extension's resvg: this platform's native binary copied beside the worker
 * (vendor/resvgjs.TRIPLE.node), wrapped as @resvg/resvg-js wraps it (options as JSON).
 */
function vendoredResvg(): ResvgModule | null {
  const dir = join(__dirname, 'vendor');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.startsWith(`resvgjs.${process.platform}-${process.arch}`) && f.endsWith('.node'));
  } catch {
    return null;
  }
  for (const f of files) {
    try {
      const native = require(join(dir, f)) as { Resvg: new (svg: string, options?: string) => InstanceType<ResvgModule['Resvg']> };
      class Resvg extends native.Resvg {
        constructor(svg: string, options?: object) {
          super(svg, JSON.stringify(options));
        }
      }
      return { Resvg } as unknown as ResvgModule;
    } catch {
      // another libc's binary (gnu/musl): try the next
    }
  }
  return null;
}

/** An SVG document as a PNG, `zoom` times its size, on white. */
export function svgToPng(svg: string, zoom = 2): Uint8Array {
  if (!resvg) {
    try {
      resvg = vendoredResvg() ?? (require('@resvg/resvg-js') as ResvgModule);
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
