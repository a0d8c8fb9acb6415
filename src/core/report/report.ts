/**
 * The lab report of a run, as the original lab's report is laid out: aim, data and split, the
 * network, hyperparameters, error curves, accuracies against the original's 99.06 %, kernels,
 * feature maps of test image #4, the shifted digit, the robustness sweep, and, for one point of a
 * grid, the grid's table. Written into one folder: report.md (figures linked), report.html
 * (self-contained: every figure inline as a data URI, no request leaves the page),
 * figures/NAME.png + .svg, metrics.csv, and for a grid grid.csv. Every number comes
 * from the core's own computations (evaluate, featureMapsOf, robustnessCheck, robustnessSweep).
 * The run folder is read through readRun and loadModel (checked, bounded): it may be hostile, and
 * so may a grid record (read through core/runs/grid.ts).
 */
import { basename, join, resolve } from 'node:path';
import { evaluateSplits, featureMapsOf, predict } from '../analysis/evaluate';
import { robustnessCheck } from '../analysis/robustness';
import { checkModelFitsData, dataChoiceFor } from '../analysis/service';
import { DEFAULT_SWEEP_RANGE, type SweepResult, checkSweepRange, robustnessSweep } from '../analysis/sweep';
import { classNamesOf, labelText } from '../data/classes';
import { imageAt, loadLabData } from '../data/mnist';
import { LabError } from '../errors';
import type { ProgressEvent, RunSummary } from '../events';
import { pct } from '../format';
import { toTorchStateDict } from '../model/interchange';
import { loadModel } from '../model/interchange';
import { writeFileAtomic } from '../runs/atomic';
import { type StoredGrid, bestGridPoint, gridOfRunSync } from '../runs/grid';
import { readRun } from '../runs/store';
import { type HeatRow, type HeatTile, escapeXml, heatmapSvg, maxAbsOf } from './heatmap';
import { gridCellText, gridCsv, metricsCsv } from './csv';
import { chartSvg, svgToPng } from './render';
import { type ReportLanguage, type ReportText, reportText, reportTranslator } from './text';

/** The test image the original lab dissects, and its shift (3 pixels left). */
export const REPORT_IMAGE = 4;
export const REPORT_SHIFT = { dx: -3, dy: 0 } as const;

export interface ReportOptions {
  runDir: string;
  /** The folder that receives the report (created; existing report files are replaced). */
  outDir: string;
  lang: ReportLanguage;
  /** Where the lab's l10n/ folder is (the package's root). */
  root: string;
  /** The robustness sweep's largest shift (default 3, as `robustness --sweep`). */
  sweepRange?: number;
  /** MNIST-layout IDX files to use instead of the run's config's data.dir (the CLI's --data). */
  dataDir?: string | null;
  /**
   * The grid whose table the report shows (one of its points must be `runDir`); null: none;
   * absent: the newest grid record of the run's runs folder that lists the run, if any.
   */
  grid?: StoredGrid | null;
  /** Today, as the report states it (tests pass a fixed date). */
  now?: Date;
  onProgress?: (what: string) => void;
}

export interface ReportFigure {
  name: string;
  caption: string;
  svg: string;
  png: Uint8Array;
}

export interface ReportResult {
  dir: string;
  markdown: string;
  html: string;
  csv: string;
  figures: { name: string; png: string; svg: string }[];
  /** When the run is a point of a grid: the grid record, grid.csv, and the best point and this run's (0-based; best -1: none). */
  grid: { record: string; csvFile: string; best: number; point: number } | null;
  valAccuracy: number;
  testAccuracy: number;
  seedTestAccuracy: number | null;
}

export { gridCsv, metricsCsv };

/** Text for Markdown: no HTML, no link or emphasis syntax from a name the lab did not choose. */
export function escapeMarkdown(s: string): string {
  // Enough for CommonMark: no emphasis, code, link, HTML, entity or table cell can start here
  // (an underscore inside a word, as in kernel_size, is never emphasis).
  return s
    .replace(/[\\`*[\]<>&|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, (c) => `\\${c}`)
    .replace(/^([#+=-])/, '\\$1')
    .replace(/\r?\n/g, ' ');
}

function flatten(prefix: string, v: unknown, out: [string, string][]): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(prefix ? `${prefix}.${k}` : k, x, out);
  } else out.push([prefix, typeof v === 'string' ? v : JSON.stringify(v)]);
}

/** A tile per channel of a layer (values in the report's order). */
function mapTiles(
  maps: Float32Array[] | number[][],
  size: number,
  title: (i: number) => string,
  mode: HeatTile['mode'],
  scale: number,
  cell: number,
): HeatTile[] {
  return maps.map((m, i) => ({ title: title(i), rows: size, cols: size, values: m, mode, scale, cell }));
}

function kernelFigures(net: ReturnType<typeof loadModel>['net'], T: ReportText): { conv1: string; conv2: string } {
  const sd = toTorchStateDict(net);
  const w1 = sd['conv1.weight'];
  const w2 = sd['conv2.weight'];
  const [out1, , k] = w1.shape as [number, number, number, number];
  const [out2, in2] = w2.shape as [number, number, number, number];
  const kk = k * k;
  const cell = Math.max(6, Math.round(60 / k));
  const s1 = maxAbsOf([w1.data]);
  const conv1 = heatmapSvg([
    {
      tiles: Array.from({ length: out1 }, (_, o) => ({
        title: T.kernelTitle(o),
        rows: k,
        cols: k,
        values: w1.data.subarray(o * kk, (o + 1) * kk),
        mode: 'signed' as const,
        scale: s1,
        cell,
      })),
    },
  ]);
  const s2 = maxAbsOf([w2.data]);
  const rows: HeatRow[] = Array.from({ length: in2 }, (_, i) => ({
    label: T.inputChannel(i),
    tiles: Array.from({ length: out2 }, (_, o) => ({
      title: i === 0 ? T.kernelTitle(o) : '',
      rows: k,
      cols: k,
      values: w2.data.subarray((o * in2 + i) * kk, (o * in2 + i + 1) * kk),
      mode: 'signed' as const,
      scale: s2,
      cell: Math.max(5, Math.round(40 / k)),
    })),
  }));
  return { conv1, conv2: heatmapSvg(rows) };
}

function curveSpec(progress: readonly ProgressEvent[], T: ReportText): Record<string, unknown> {
  const values = progress.flatMap((e) => [
    { step: e.step, error: e.record[0], series: T.trainSeries },
    { step: e.step, error: e.record[1], series: T.validationSeries },
  ]);
  return {
    width: 560,
    height: 260,
    title: T.curvesCaption,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: T.step },
      y: { field: 'error', type: 'quantitative', title: T.errorRate, scale: { type: 'sqrt' } },
      color: { field: 'series', type: 'nominal', title: null, sort: [T.trainSeries, T.validationSeries] },
    },
  };
}

function shiftSpec(r: SweepResult, T: ReportText): Record<string, unknown> {
  const values = r.shift.accuracy.flatMap((row, iy) =>
    row.map((a, ix) => ({ dx: r.shift.offsets[ix]!, dy: r.shift.offsets[iy]!, accuracy: a, label: (100 * a).toFixed(1) })),
  );
  const cell = Math.max(28, Math.min(48, Math.round(336 / r.shift.offsets.length)));
  return {
    width: cell * r.shift.offsets.length,
    height: cell * r.shift.offsets.length,
    title: T.sweepCaption,
    data: { values },
    encoding: {
      x: { field: 'dx', type: 'ordinal', title: 'dx', sort: 'ascending', axis: { labelAngle: 0 } },
      y: { field: 'dy', type: 'ordinal', title: 'dy', sort: 'ascending' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'accuracy',
            type: 'quantitative',
            title: T.accuracyHeader,
            scale: { scheme: 'viridis', domain: [0, 1] },
            legend: { format: '.0%' },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'label' },
          color: { condition: { test: 'datum.accuracy > 0.6', value: 'black' }, value: 'white' },
        },
      },
    ],
  };
}

function rotationNoiseSpec(r: SweepResult, T: ReportText): Record<string, unknown> {
  const line = (values: { x: number; accuracy: number }[], title: string) => ({
    width: 260,
    height: 200,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title },
      y: { field: 'accuracy', type: 'quantitative', title: T.accuracyHeader, scale: { domain: [0, 1] }, axis: { format: '.0%' } },
    },
  });
  return {
    title: T.rotationCaption,
    hconcat: [
      line(
        r.rotation.angles.map((x, i) => ({ x, accuracy: r.rotation.accuracy[i]! })),
        T.angle,
      ),
      line(
        r.noise.sigmas.map((x, i) => ({ x, accuracy: r.noise.accuracy[i]! })),
        T.sigma,
      ),
    ],
  };
}

function dateOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** A Markdown table; the rows in `strong` in bold (cells already escaped). */
function markdownTable(head: string[], rows: string[][], strong: readonly number[] = []): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  const bold = (r: string[]) => r.map((c) => (c ? `**${c}**` : c));
  return [line(head), line(head.map(() => '---')), ...rows.map((r, i) => line(strong.includes(i) ? bold(r) : r))].join('\n');
}

/** An HTML table; the rows in `strong` in bold (class "best"), those in `marked` with class "current". */
function htmlTable(head: string[], rows: string[][], strong: readonly number[] = [], marked: readonly number[] = []): string {
  const row = (r: string[], i: number) => {
    const b = strong.includes(i);
    const cls = [b ? 'best' : '', marked.includes(i) ? 'current' : ''].filter(Boolean).join(' ');
    const cell = (c: string) => `<td>${b && c ? `<strong>${escapeXml(c)}</strong>` : escapeXml(c)}</td>`;
    return `<tr${cls ? ` class="${cls}"` : ''}>${r.map(cell).join('')}</tr>`;
  };
  return `<table><thead><tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map(row).join('')}</tbody></table>`;
}

/** One block of the report: Markdown and HTML side by side, from the same plain text. */
type Block =
  | { kind: 'h1' | 'h2' | 'p'; text: string }
  | { kind: 'table'; head: string[]; rows: string[][]; strong?: number[]; marked?: number[] }
  | { kind: 'figure'; figure: ReportFigure };

function toMarkdown(blocks: Block[], T: ReportText): string {
  return `${blocks
    .map((b) => {
      switch (b.kind) {
        case 'h1':
          return `# ${escapeMarkdown(b.text)}`;
        case 'h2':
          return `## ${escapeMarkdown(b.text)}`;
        case 'p':
          return escapeMarkdown(b.text);
        case 'table':
          return markdownTable(
            b.head.map(escapeMarkdown),
            b.rows.map((r) => r.map(escapeMarkdown)),
            b.strong,
          );
        case 'figure':
          return `![${escapeMarkdown(b.figure.caption)}](figures/${b.figure.name}.png)\n\n*${escapeMarkdown(b.figure.caption)}* ([${T.svgLink}](figures/${b.figure.name}.svg))`;
      }
    })
    .join('\n\n')}\n`;
}

const STYLE = `body{font-family:system-ui,"DejaVu Sans","WenQuanYi Micro Hei",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.5}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}th{background:#f3f3f3}
tr.current td{background:#eef4fb}
figure{margin:1.5rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{font-style:italic;color:#555}`;

function toHtml(blocks: Block[], lang: ReportLanguage, title: string): string {
  const body = blocks
    .map((b) => {
      switch (b.kind) {
        case 'h1':
          return `<h1>${escapeXml(b.text)}</h1>`;
        case 'h2':
          return `<h2>${escapeXml(b.text)}</h2>`;
        case 'p':
          return `<p>${escapeXml(b.text)}</p>`;
        case 'table':
          return htmlTable(b.head, b.rows, b.strong, b.marked);
        case 'figure':
          return `<figure data-figure="${escapeXml(b.figure.name)}"><img alt="${escapeXml(b.figure.caption)}" src="data:image/png;base64,${Buffer.from(b.figure.png).toString('base64')}"><figcaption>${escapeXml(b.figure.caption)}</figcaption></figure>`;
      }
    })
    .join('\n');
  // No request may leave the page: only data: images and the inline style.
  return `<!DOCTYPE html>
<html lang="${lang === 'zh-cn' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** Writes the report of `o.runDir` into `o.outDir` and returns what it wrote. */
export async function writeReport(o: ReportOptions): Promise<ReportResult> {
  const T = reportText(reportTranslator(o.lang, o.root));
  const range = o.sweepRange ?? DEFAULT_SWEEP_RANGE;
  const run = readRun(o.runDir);
  const summary: RunSummary = run.summary;
  const config = run.config;
  const runDir = resolve(o.runDir);
  const grid = o.grid === undefined ? gridOfRunSync(runDir) : o.grid;
  const point = grid ? grid.points.findIndex((p) => p.runDir === runDir) : -1;
  if (grid && point < 0)
    throw new LabError(`${grid.file}: the run ${runDir} is not one of the grid's points`, { file: grid.file, code: 'invalid-input' });
  const { net, file } = loadModel(o.runDir);
  try {
    checkSweepRange(range, net.spec.imageSize);
    const choice = dataChoiceFor(config, o.dataDir ?? null);
    const data = loadLabData(choice.dataDir ?? undefined, choice.numClasses);
    checkModelFitsData(net, file, data);
    if (REPORT_IMAGE >= data.testFile.count)
      throw new LabError(`${o.runDir}: the test file has ${data.testFile.count} images, the report shows #${REPORT_IMAGE}`, {
        code: 'invalid-data',
      });
    const classNames = classNamesOf(config, choice.numClasses);
    const name = (l: number) => labelText(classNames, l);
    const figures: ReportFigure[] = [];
    const figure = (fname: string, caption: string, svg: string): Block => {
      const f = { name: fname, caption, svg, png: svgToPng(svg) };
      figures.push(f);
      return { kind: 'figure', figure: f };
    };

    o.onProgress?.('accuracy');
    const acc = evaluateSplits(net, data);
    const seed = summary.seedTestAccuracy;

    const blocks: Block[] = [
      { kind: 'h1', text: T.title(config.name || summary.name || summary.runId) },
      {
        kind: 'p',
        text: `${T.subtitle}. ${T.runLine(summary.runId, summary.backend || '—', summary.startedAt.slice(0, 10) || '—')} ${T.generated(dateOf(o.now ?? new Date()))}`,
      },
      { kind: 'h2', text: T.aim },
      { kind: 'p', text: T.aimText },
      { kind: 'h2', text: T.data },
      { kind: 'p', text: choice.dataDir ? T.dataOwn(choice.dataDir) : T.dataMnist },
    ];
    if (config.data.classNames) blocks.push({ kind: 'p', text: T.classes(classNames.map((n, i) => `${i} ${n}`).join(', ')) });
    blocks.push({ kind: 'p', text: T.splitText(data.train.count, data.validation.count, data.test.count) });

    blocks.push({ kind: 'h2', text: T.network }, { kind: 'p', text: T.networkText });
    const layers = net.summary();
    blocks.push({
      kind: 'table',
      head: [T.layer, T.definition, T.outputShape, T.parameters],
      rows: [
        ...layers.map((l) => [l.name, l.layer, l.outputShape.join('×'), l.params.toLocaleString('en')]),
        [T.total, '', '', net.parameterCount().toLocaleString('en')],
      ],
    });

    const settings: [string, string][] = [];
    flatten('training', config.training, settings);
    flatten('model', config.model, settings);
    blocks.push({ kind: 'h2', text: T.hyperparameters }, { kind: 'table', head: [T.setting, T.value], rows: settings });

    blocks.push({ kind: 'h2', text: T.curves });
    if (run.progress.length) {
      blocks.push({ kind: 'p', text: T.curvesText });
      o.onProgress?.('figures');
      blocks.push(figure('error-curves', T.curvesCaption, await chartSvg(curveSpec(run.progress, T))));
    } else blocks.push({ kind: 'p', text: T.noCurve });

    blocks.push({ kind: 'h2', text: T.accuracy });
    const accRows = [
      [T.validationSplit, `${pct(acc.valAccuracy)} (${acc.valCorrect}/${acc.valTotal})`],
      [T.testSplit, `${pct(acc.testAccuracy)} (${acc.testCorrect}/${acc.testTotal})`],
    ];
    if (seed !== null) accRows.push([T.seedLab, pct(seed)]);
    blocks.push({ kind: 'table', head: [T.split, T.accuracyHeader], rows: accRows });
    blocks.push({
      kind: 'p',
      text: seed !== null ? `${T.seedCompare(pct(acc.testAccuracy), pct(seed))} ${T.accuracyNote}` : T.accuracyNote,
    });

    blocks.push({ kind: 'h2', text: T.kernels }, { kind: 'p', text: T.kernelsText });
    const kernels = kernelFigures(net, T);
    blocks.push(figure('conv1-kernels', T.conv1Kernels, kernels.conv1));
    blocks.push(figure('conv2-kernels', T.conv2Kernels, kernels.conv2));

    const index = REPORT_IMAGE;
    const image = imageAt(data.testFile, index);
    const label = data.testFile.labels[index]!;
    const size = net.spec.imageSize;
    const maps = featureMapsOf(net, image);
    const prediction = predict(net, image);
    blocks.push({ kind: 'h2', text: T.featureMaps(index) }, { kind: 'p', text: T.featureText(index, name(label), name(prediction.label)) });
    const big = Math.max(3, Math.round(112 / size));
    blocks.push(
      figure(
        'feature-maps',
        T.featureMaps(index).replace(/^\d+\.\s*/, ''),
        heatmapSvg([
          {
            label: T.imageTitle(index),
            tiles: [{ title: '', rows: size, cols: size, values: image, mode: 'intensity', scale: 1, cell: big }],
          },
          { label: T.conv1Maps, tiles: mapTiles(maps.conv1.data, maps.conv1.size, T.channel, 'intensity', maxAbsOf(maps.conv1.data), big) },
          {
            label: T.conv2Maps,
            tiles: mapTiles(maps.conv2.data, maps.conv2.size, T.channel, 'intensity', maxAbsOf(maps.conv2.data), big * 2),
          },
        ]),
      ),
    );

    const { dx, dy } = REPORT_SHIFT;
    const r = robustnessCheck(net, image, dx, dy);
    blocks.push(
      { kind: 'h2', text: T.shift },
      {
        kind: 'p',
        text: `${T.shiftText(index, dx, dy)} ${T.shiftPredictions(name(r.original.prediction.label), name(r.shifted.prediction.label))}`,
      },
      { kind: 'p', text: T.shiftDiff(r.meanAbsDiff.conv1.toFixed(4), r.meanAbsDiff.conv2.toFixed(4)) },
    );
    for (const layer of ['conv1', 'conv2'] as const) {
      const a = r.original.featureMaps[layer];
      const b = r.shifted.featureMaps[layer];
      const diff = b.data.map((m, c) => m.map((v, p) => v - a.data[c]![p]!));
      const s = maxAbsOf([...a.data, ...b.data]);
      const cell = layer === 'conv1' ? big : big * 2;
      const imgTiles = (img: Float32Array): HeatTile[] =>
        layer === 'conv1' ? [{ title: '', rows: size, cols: size, values: img, mode: 'intensity', scale: 1, cell }] : [];
      blocks.push(
        figure(
          `shifted-${layer}`,
          `${T.shiftCaption}: ${layer}`,
          heatmapSvg([
            { label: T.original, tiles: [...imgTiles(r.original.image), ...mapTiles(a.data, a.size, T.channel, 'intensity', s, cell)] },
            { label: T.shifted, tiles: [...imgTiles(r.shifted.image), ...mapTiles(b.data, b.size, T.channel, 'intensity', s, cell)] },
            {
              label: T.difference,
              tiles: [
                ...(layer === 'conv1'
                  ? [
                      {
                        title: '',
                        rows: size,
                        cols: size,
                        values: r.shifted.image.map((v, p) => v - r.original.image[p]!),
                        mode: 'signed' as const,
                        scale: 1,
                        cell,
                      },
                    ]
                  : []),
                ...mapTiles(diff, a.size, T.channel, 'signed', maxAbsOf(diff), cell),
              ],
            },
          ]),
        ),
      );
    }

    o.onProgress?.('sweep');
    const sweep = await robustnessSweep(net, data.test, { range });
    blocks.push(
      { kind: 'h2', text: T.sweep },
      { kind: 'p', text: `${T.sweepText(range, sweep.count)} ${T.unshifted(pct(sweep.accuracy))}` },
    );
    blocks.push({
      kind: 'table',
      head: [T.radius, T.worst],
      rows: sweep.shift.byRadius.map((b) => [`≤ ${b.radius}`, pct(b.minAccuracy)]),
    });
    blocks.push(figure('sweep-shifts', T.sweepCaption, await chartSvg(shiftSpec(sweep, T))));
    blocks.push(figure('sweep-rotation-noise', T.rotationCaption, await chartSvg(rotationNoiseSpec(sweep, T))));

    let gridTable: { csv: string; best: number } | null = null;
    if (grid) {
      const best = bestGridPoint(grid.points);
      const bestText =
        best < 0 ? T.gridNoBest : best === point ? T.gridBestThis : T.gridBest(best + 1, pct(grid.points[best]!.valAccuracy));
      blocks.push(
        { kind: 'h2', text: T.grid },
        { kind: 'p', text: `${T.gridText(point + 1, grid.points.length, grid.name, grid.keys.join(', '))} ${bestText}` },
        {
          kind: 'table',
          head: ['#', ...grid.keys, T.validationColumn, T.testColumn, T.statusColumn],
          rows: grid.points.map((p, i) => [
            i === point ? `${i + 1} ${T.thisRun}` : String(i + 1),
            ...grid.keys.map((k) => gridCellText(p.values[k] ?? null)),
            pct(p.valAccuracy),
            pct(p.testAccuracy),
            T.pointStatus(p.status),
          ]),
          strong: best < 0 ? [] : [best],
          marked: [point],
        },
      );
      const points = grid.points.map((p) => ({ ...p, runName: p.runDir === null ? null : basename(p.runDir) }));
      gridTable = { csv: gridCsv(grid.keys, points, best, point), best };
    }

    blocks.push({ kind: 'h2', text: T.files }, { kind: 'p', text: grid ? `${T.filesText} ${T.gridFilesText}` : T.filesText });

    const title = T.title(config.name || summary.name || summary.runId);
    const markdown = toMarkdown(blocks, T);
    const html = toHtml(blocks, o.lang, title);
    const csv = metricsCsv(run.progress);
    // Each file to a temporary name, then renamed (core/runs/atomic.ts): never half a report file.
    const figs = figures.map((f) => {
      const png = join(o.outDir, 'figures', `${f.name}.png`);
      const svg = join(o.outDir, 'figures', `${f.name}.svg`);
      writeFileAtomic(svg, f.svg);
      writeFileAtomic(png, f.png);
      return { name: f.name, png, svg };
    });
    writeFileAtomic(join(o.outDir, 'metrics.csv'), csv);
    if (gridTable) writeFileAtomic(join(o.outDir, 'grid.csv'), gridTable.csv);
    writeFileAtomic(join(o.outDir, 'report.html'), html);
    writeFileAtomic(join(o.outDir, 'report.md'), markdown);
    return {
      dir: o.outDir,
      markdown,
      html,
      csv,
      figures: figs,
      grid: grid && gridTable ? { record: grid.file, csvFile: join(o.outDir, 'grid.csv'), best: gridTable.best, point } : null,
      valAccuracy: acc.valAccuracy,
      testAccuracy: acc.testAccuracy,
      seedTestAccuracy: seed,
    };
  } finally {
    net.dispose();
  }
}
