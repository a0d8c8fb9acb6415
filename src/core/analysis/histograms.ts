/**
 * What the layers hold, epoch by epoch (TensorBoard's histogram and distribution views as the
 * model): for conv1, conv2, fc1 and fc2 the weights, the biases, their gradients and the layer's
 * output, each summarised as an equal-width histogram over its range plus TensorBoard's
 * distribution quantiles. This file is the data (types, summaries, the checked reading of a run's
 * histograms.jsonl); src/core/analysis/layerStats.ts computes them from a network. No tfjs here:
 * the webview imports the types.
 */
import { LabError } from '../errors';

/** Bins of every histogram (TensorBoard draws 30 by default). */
export const HISTOGRAM_BINS = 30;
/**
 * The quantiles of TensorBoard's distribution view (its basis points 0, 668, 1587, 3085, 5000,
 * 6915, 8413, 9332, 10000: a normal distribution's −∞, −1.5σ, −1σ, −0.5σ, median, … +∞).
 */
export const HISTOGRAM_QUANTILES = [0, 0.0668, 0.1587, 0.3085, 0.5, 0.6915, 0.8413, 0.9332, 1] as const;

export const HISTOGRAM_LAYERS = ['conv1', 'conv2', 'fc1', 'fc2'] as const;
export type HistogramLayer = (typeof HISTOGRAM_LAYERS)[number];
/** weight, bias, their gradients, and the layer's output (ReLU output for conv1/conv2/fc1, the logits for fc2). */
export const HISTOGRAM_KINDS = ['weight', 'bias', 'weightGrad', 'biasGrad', 'activation'] as const;
export type HistogramKind = (typeof HISTOGRAM_KINDS)[number];

/** One tensor's values summarised. */
export interface ValueHistogram {
  /** Finite values counted (non-finite ones are left out: `nonFinite`). */
  count: number;
  nonFinite: number;
  /** Values exactly 0 (a ReLU's "off"). */
  zeros: number;
  min: number;
  max: number;
  mean: number;
  /**
   * counts[i]: values in [edge(i), edge(i+1)), edge(i) = min + i·(max − min)/bins; the last bin
   * also holds max. A constant tensor (min = max) has all its values in bin 0.
   */
  counts: number[];
  /** Values at HISTOGRAM_QUANTILES: linear interpolation between the sorted values (numpy's default). */
  quantiles: number[];
}

export type LayerHistograms = Record<HistogramKind, ValueHistogram> & {
  /** conv1, conv2, fc1: the channels (units) whose ReLU output is 0 on every probe image. */
  inactive?: number[];
};

/** One epoch's record (a line of the run's histograms.jsonl, and `histograms` of its epoch event). */
export interface EpochHistograms {
  epoch: number;
  /** The activations are the layers' outputs on the first `activationImages` validation images. */
  activationImages: number;
  /**
   * The gradients are those of the mean loss over the first `gradientImages` training images at
   * the epoch's final weights, without dropout (the same images every epoch, so epochs compare).
   */
  gradientImages: number;
  /** What computing this record took (ms). */
  ms: number;
  layers: Record<HistogramLayer, LayerHistograms>;
}

/** How active one ReLU layer's channels (units) are over a split. */
export interface ChannelActivity {
  layer: 'conv1' | 'conv2' | 'fc1';
  channels: number;
  /** Outputs per image and channel (positions of a feature map; 1 for fc1). */
  positions: number;
  /** Largest output of each channel over the split. */
  max: number[];
  /** Images on which the channel's output is > 0 somewhere. */
  activeImages: number[];
  /** Share of all (image, position) outputs of the channel that are > 0. */
  activeShare: number[];
  /** The channels whose output is 0 for every image ("dead": max = 0). */
  dead: number[];
}

/** The activity of conv1's, conv2's and fc1's channels over a split of the test file (the `deadChannels` analysis). */
export interface ChannelActivityPayload {
  split: 'test' | 'validation';
  images: number;
  layers: ChannelActivity[];
}

/** The left edge of bin i (i = bins: the right edge of the last). */
export function binEdge(min: number, max: number, bins: number, i: number): number {
  return i >= bins ? max : min + (i * (max - min)) / bins;
}

/** The bin a finite value in [min, max] falls into, consistent with `binEdge` at the edges. */
function binOf(v: number, min: number, max: number, bins: number): number {
  if (!(max > min)) return 0;
  let i = Math.min(bins - 1, Math.max(0, Math.floor(((v - min) / (max - min)) * bins)));
  while (i < bins - 1 && v >= binEdge(min, max, bins, i + 1)) i++;
  while (i > 0 && v < binEdge(min, max, bins, i)) i--;
  return i;
}

/**
 * Rearranges `a` so that a[k] is the value a full sort would put there, for every k of `ks`
 * (ascending), like numpy's partition with several kth: quickselect with a Hoare partition,
 * recursing only into the parts that hold a wanted k. O(n·log |ks|) instead of a sort's O(n·log n)
 * (1.5 M activations: a sort is ≈ 10× slower).
 */
function selectPositions(a: Float64Array, ks: number[], lo = 0, hi = a.length - 1): void {
  while (lo < hi) {
    const wanted = ks.filter((k) => k >= lo && k <= hi);
    if (!wanted.length) return;
    if (hi - lo < 16) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    // Median of three as the pivot.
    const mid = lo + ((hi - lo) >> 1);
    const [x, y, z] = [a[lo]!, a[mid]!, a[hi]!];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo - 1;
    let j = hi + 1;
    for (;;) {
      do i++;
      while (a[i]! < pivot);
      do j--;
      while (a[j]! > pivot);
      if (i >= j) break;
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    // [lo, j] ≤ pivot ≤ [j + 1, hi]: recurse into the smaller side, loop on the other.
    const left = wanted.some((k) => k <= j);
    const right = wanted.some((k) => k > j);
    if (left && right) {
      if (j - lo < hi - j) {
        selectPositions(a, wanted, lo, j);
        lo = j + 1;
      } else {
        selectPositions(a, wanted, j + 1, hi);
        hi = j;
      }
    } else if (left) hi = j;
    else lo = j + 1;
  }
}

/**
 * The values at HISTOGRAM_QUANTILES of the finite values whose non-zero ones are `neg` (all < 0)
 * and `pos` (all > 0), with `zeros` zeros besides (both arrays rearranged); numpy's linear
 * interpolation. In sorted order the values are neg, the zeros, pos, so only the non-zero
 * values need selecting: ReLU outputs are mostly zeros.
 */
function quantilesOf(neg: Float64Array, zeros: number, pos: Float64Array): number[] {
  const a = neg.length;
  const n = a + zeros + pos.length;
  const ks = [...new Set(HISTOGRAM_QUANTILES.flatMap((q) => [Math.floor(q * (n - 1)), Math.min(n - 1, Math.floor(q * (n - 1)) + 1)]))].sort(
    (x, y) => x - y,
  );
  selectPositions(
    neg,
    ks.filter((k) => k < a),
  );
  selectPositions(
    pos,
    ks.filter((k) => k >= a + zeros).map((k) => k - a - zeros),
  );
  const at = (k: number) => (k < a ? neg[k]! : k < a + zeros ? 0 : pos[k - a - zeros]!);
  return HISTOGRAM_QUANTILES.map((q) => {
    const p = q * (n - 1);
    const lo = Math.floor(p);
    const v = at(lo);
    return v + (at(Math.min(n - 1, lo + 1)) - v) * (p - lo);
  });
}

/** Rounds to 6 significant digits (a record stays ≈ 10 KB; float32 itself has about 7). */
const round = (v: number) => (v === 0 ? 0 : Number(v.toPrecision(6)));

/** The histogram and quantiles of `values` (not modified). */
export function summarize(values: ArrayLike<number>, bins = HISTOGRAM_BINS): ValueHistogram {
  // The non-zero finite values: negative ones from the front, positive ones from the back.
  const nonZero = new Float64Array(values.length);
  let front = 0;
  let back = values.length;
  let zeros = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v === 0) {
      zeros++;
      continue;
    }
    if (v < 0) nonZero[front++] = v;
    else nonZero[--back] = v;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const neg = nonZero.subarray(0, front);
  const pos = nonZero.subarray(back);
  const n = front + zeros + pos.length;
  const counts = new Array<number>(bins).fill(0);
  if (n === 0) {
    return { count: 0, nonFinite: values.length, zeros: 0, min: 0, max: 0, mean: 0, counts, quantiles: HISTOGRAM_QUANTILES.map(() => 0) };
  }
  if (zeros > 0) {
    min = Math.min(min, 0);
    max = Math.max(max, 0);
    counts[binOf(0, min, max, bins)]! += zeros;
  }
  for (let i = 0; i < neg.length; i++) counts[binOf(neg[i]!, min, max, bins)]!++;
  for (let i = 0; i < pos.length; i++) counts[binOf(pos[i]!, min, max, bins)]!++;
  return {
    count: n,
    nonFinite: values.length - n,
    zeros,
    // Rounded outward, so the recorded range still holds every value.
    min: Number(min.toPrecision(6)) > min ? min : round(min),
    max: Number(max.toPrecision(6)) < max ? max : round(max),
    mean: round(sum / n),
    counts,
    quantiles: quantilesOf(neg, zeros, pos).map(round),
  };
}

// ---------------------------------------------------------------------------------------------
// Reading a run's histograms.jsonl back: a file the lab may not have written, every field checked.

/** The most records a histograms.jsonl is read with (one per epoch; the config allows 1000 epochs). */
export const MAX_HISTOGRAM_RECORDS = 1000;
/** The most channels a record's `inactive` list may name (the config's widest layer: hidden 8192). */
const MAX_CHANNELS = 8192;
/** The most images a probe may name (the probes are bounded by the split sizes). */
const MAX_PROBE_IMAGES = 1_000_000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Obj, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const count = (v: unknown, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max;

function unexpected(o: Obj, allowed: readonly string[]): string | null {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) return k;
  return null;
}

const HISTOGRAM_FIELDS = ['count', 'nonFinite', 'zeros', 'min', 'max', 'mean', 'counts', 'quantiles'] as const;

/** What is wrong with a ValueHistogram read from a file, or null. */
function histogramProblem(v: unknown): string | null {
  if (!isObj(v)) return 'must be an object';
  const extra = unexpected(v, HISTOGRAM_FIELDS);
  if (extra !== null) return `has an unexpected field ${JSON.stringify(extra).slice(0, 60)}`;
  for (const k of ['count', 'nonFinite', 'zeros'] as const)
    if (!count(own(v, k), Number.MAX_SAFE_INTEGER)) return `${k} must be a whole number ≥ 0`;
  for (const k of ['min', 'max', 'mean'] as const) if (!finite(own(v, k))) return `${k} must be a finite number`;
  const [n, min, max, zeros] = [v.count as number, v.min as number, v.max as number, v.zeros as number];
  if (min > max) return 'min must not exceed max';
  if (zeros > n) return 'zeros must not exceed count';
  const counts = own(v, 'counts');
  if (!Array.isArray(counts) || counts.length !== HISTOGRAM_BINS || !counts.every((c) => count(c, Number.MAX_SAFE_INTEGER)))
    return `counts must be ${HISTOGRAM_BINS} whole numbers ≥ 0`;
  if ((counts as number[]).reduce((a, b) => a + b, 0) !== n) return 'counts must add up to count';
  const quantiles = own(v, 'quantiles');
  if (!Array.isArray(quantiles) || quantiles.length !== HISTOGRAM_QUANTILES.length || !quantiles.every(finite))
    return `quantiles must be ${HISTOGRAM_QUANTILES.length} finite numbers`;
  for (let i = 1; i < quantiles.length; i++)
    if ((quantiles[i] as number) < (quantiles[i - 1] as number)) return 'quantiles must not decrease';
  return null;
}

/** An EpochHistograms read from a file (one JSON value), checked field by field; a LabError naming the field otherwise. */
export function parseEpochHistograms(raw: unknown, file: string, where: string): EpochHistograms {
  const bad = (field: string, what: string) => new LabError(`${file}: ${where}${field} ${what}`, { file, field, code: 'invalid-data' });
  if (!isObj(raw)) throw bad('record', 'must be a JSON object');
  const extra = unexpected(raw, ['epoch', 'activationImages', 'gradientImages', 'ms', 'layers']);
  if (extra !== null) throw bad('record', `has an unexpected field ${JSON.stringify(extra).slice(0, 60)}`);
  if (!count(own(raw, 'epoch'), 1_000_000) || (raw.epoch as number) < 1) throw bad('epoch', 'must be a whole number ≥ 1');
  for (const k of ['activationImages', 'gradientImages'] as const)
    if (!count(own(raw, k), MAX_PROBE_IMAGES)) throw bad(k, `must be a whole number 0..${MAX_PROBE_IMAGES}`);
  if (!finite(own(raw, 'ms')) || (raw.ms as number) < 0) throw bad('ms', 'must be a number ≥ 0');
  const layers = own(raw, 'layers');
  if (!isObj(layers)) throw bad('layers', 'must be an object');
  const extraLayer = unexpected(layers, HISTOGRAM_LAYERS);
  if (extraLayer !== null) throw bad('layers', `has an unexpected layer ${JSON.stringify(extraLayer).slice(0, 60)}`);
  const out = {} as Record<HistogramLayer, LayerHistograms>;
  for (const layer of HISTOGRAM_LAYERS) {
    const l = own(layers, layer);
    if (!isObj(l)) throw bad(`layers.${layer}`, 'must be an object');
    const extraKind = unexpected(l, [...HISTOGRAM_KINDS, 'inactive']);
    if (extraKind !== null) throw bad(`layers.${layer}`, `has an unexpected field ${JSON.stringify(extraKind).slice(0, 60)}`);
    const entry = {} as LayerHistograms;
    for (const kind of HISTOGRAM_KINDS) {
      const h = own(l, kind);
      const problem = histogramProblem(h);
      if (problem) throw bad(`layers.${layer}.${kind}`, problem);
      const v = h as ValueHistogram;
      entry[kind] = {
        count: v.count,
        nonFinite: v.nonFinite,
        zeros: v.zeros,
        min: v.min,
        max: v.max,
        mean: v.mean,
        counts: [...v.counts],
        quantiles: [...v.quantiles],
      };
    }
    const inactive = own(l, 'inactive');
    if (inactive !== undefined) {
      if (!Array.isArray(inactive) || inactive.length > MAX_CHANNELS || !inactive.every((c) => count(c, MAX_CHANNELS - 1)))
        throw bad(`layers.${layer}.inactive`, `must be at most ${MAX_CHANNELS} channel numbers 0..${MAX_CHANNELS - 1}`);
      entry.inactive = [...(inactive as number[])];
    }
    out[layer] = entry;
  }
  return {
    epoch: raw.epoch as number,
    activationImages: raw.activationImages as number,
    gradientImages: raw.gradientImages as number,
    ms: raw.ms as number,
    layers: out,
  };
}

/**
 * A histograms.jsonl: one record per line, epochs increasing, at most MAX_HISTOGRAM_RECORDS. An
 * unfinished last line (a training killed mid-write) is left out; any other bad line is a
 * LabError naming the file, the line and the field.
 */
export function parseHistogramsJsonl(text: string, file: string): EpochHistograms[] {
  const out: EpochHistograms[] = [];
  const lines = text.split('\n');
  const unfinished = !text.endsWith('\n') ? lines.length - 1 : -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    if (out.length >= MAX_HISTOGRAM_RECORDS)
      throw new LabError(`${file}: more than ${MAX_HISTOGRAM_RECORDS} records`, { file, code: 'invalid-data' });
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      if (i === unfinished) break;
      throw new LabError(`${file}: line ${i + 1} is not JSON`, { file, code: 'invalid-data' });
    }
    const rec = parseEpochHistograms(raw, file, `line ${i + 1}: `);
    if (out.length && rec.epoch <= out.at(-1)!.epoch)
      throw new LabError(`${file}: line ${i + 1}: epoch ${rec.epoch} does not follow epoch ${out.at(-1)!.epoch}`, {
        file,
        field: 'epoch',
        code: 'invalid-data',
      });
    out.push(rec);
  }
  return out;
}
