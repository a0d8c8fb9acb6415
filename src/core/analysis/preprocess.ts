/**
 * A drawing made MNIST-like, the way the MNIST digits were made (LeCun et al.): the ink's bounding
 * box is scaled, keeping its aspect ratio, so that its longer side is 20 pixels (anti-aliased:
 * each output pixel is the area-weighted mean of the raster pixels it covers, so grey levels
 * appear at the edges), then the result is placed in a 28×28 field so that its centre of mass
 * lies at the field's centre. Pure: no DOM, no tfjs; the webview and the tests use it alike.
 */

export interface PreprocessOptions {
  /** Side of the square output (28 for MNIST). */
  size?: number;
  /** Side of the square the ink's bounding box is fitted into (20 for MNIST). */
  box?: number;
  /** Raster values at or below this count as background when finding the bounding box. */
  threshold?: number;
  /** Scale the result so its brightest pixel is 1 (a thin pen leaves faint strokes after scaling). */
  normalize?: boolean;
}

export type PreprocessResult =
  | {
      kind: 'digit';
      /** size×size, row-major, values in [0, 1]. */
      image: Float32Array;
      size: number;
      /** The ink's bounding box in the raster (pixels, right/bottom exclusive). */
      bounds: { x: number; y: number; width: number; height: number };
      /** Output pixels per raster pixel. */
      scale: number;
      /** Centre of mass of the output, in pixel indices (MNIST's digits have theirs near (14, 14)). */
      centreOfMass: { x: number; y: number };
    }
  | { kind: 'empty'; message: string };

/** Centre of mass of a width×height raster in pixel indices (x = column); null when it has no ink. */
export function centreOfMass(raster: ArrayLike<number>, width: number, height: number): { x: number; y: number; mass: number } | null {
  let m = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = raster[y * width + x]!;
      if (v <= 0) continue;
      m += v;
      sx += v * x;
      sy += v * y;
    }
  }
  return m > 0 ? { x: sx / m, y: sy / m, mass: m } : null;
}

/**
 * Overlap of output cell [k, k + 1) with the raster pixels [from, to) mapped to
 * [offset + (p - from)·scale, offset + (p + 1 - from)·scale): weights[k][p - from].
 */
function coverage(outSize: number, from: number, to: number, offset: number, scale: number): Float64Array[] {
  const n = to - from;
  const w = Array.from({ length: outSize }, () => new Float64Array(n));
  for (let p = 0; p < n; p++) {
    const a = offset + p * scale;
    const b = a + scale;
    for (let k = Math.max(0, Math.floor(a)); k < Math.min(outSize, Math.ceil(b)); k++) {
      const overlap = Math.min(b, k + 1) - Math.max(a, k);
      if (overlap > 0) w[k]![p] = overlap;
    }
  }
  return w;
}

/** The MNIST preprocessing of a stroke raster (width×height, row-major, ink > 0, any range ≥ 0). */
export function preprocessDrawing(raster: Float32Array, width: number, height: number, options: PreprocessOptions = {}): PreprocessResult {
  const size = options.size ?? 28;
  const box = options.box ?? 20;
  const threshold = options.threshold ?? 0;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new Error(`raster size must be whole pixels ≥ 1, got ${width}×${height}`);
  if (raster.length !== width * height)
    throw new Error(`raster has ${raster.length} values, expected ${width}×${height} = ${width * height}`);
  if (!(box > 0 && box <= size)) throw new Error(`box must be in (0, ${size}], got ${box}`);

  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = raster[y * width + x]!;
      if (!(v > threshold)) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return { kind: 'empty', message: 'nothing drawn' };
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = box / Math.max(bw, bh);

  // Ink inside the box only (what lies at or below the threshold is background).
  const ink = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++)
    for (let x = 0; x < bw; x++) {
      const v = raster[(y0 + y) * width + x0 + x]!;
      ink[y * bw + x] = v > threshold ? v : 0;
    }
  // LeCun: "centered in a 28x28 image by computing the center of mass of the pixels": index 14 for
  // MNIST (pixel i spans [i, i + 1), so continuous coordinate 14.5). Scaling maps the continuous
  // centre of mass linearly, so the offset puts it there exactly; the anti-aliased pixels' centre
  // of mass lands within a fraction of a pixel.
  const com = centreOfMass(ink, bw, bh)!;
  const ox = size / 2 + 0.5 - (com.x + 0.5) * scale;
  const oy = size / 2 + 0.5 - (com.y + 0.5) * scale;
  const wx = coverage(size, 0, bw, ox, scale);
  const wy = coverage(size, 0, bh, oy, scale);

  // Separable: rows first (bh × size), then columns.
  const rows = new Float64Array(bh * size);
  for (let y = 0; y < bh; y++) {
    for (let k = 0; k < size; k++) {
      const w = wx[k]!;
      let s = 0;
      for (let x = 0; x < bw; x++) if (w[x]) s += w[x]! * ink[y * bw + x]!;
      rows[y * size + k] = s;
    }
  }
  const image = new Float32Array(size * size);
  let max = 0;
  for (let i = 0; i < size; i++) {
    const w = wy[i]!;
    for (let k = 0; k < size; k++) {
      let s = 0;
      for (let y = 0; y < bh; y++) if (w[y]) s += w[y]! * rows[y * size + k]!;
      image[i * size + k] = s;
      if (s > max) max = s;
    }
  }
  if (max <= 0) return { kind: 'empty', message: 'nothing drawn' };
  const gain = options.normalize || max > 1 ? 1 / max : 1;
  if (gain !== 1) for (let p = 0; p < image.length; p++) image[p] = image[p]! * gain;
  const c = centreOfMass(image, size, size)!;
  return { kind: 'digit', image, size, bounds: { x: x0, y: y0, width: bw, height: bh }, scale, centreOfMass: { x: c.x, y: c.y } };
}
