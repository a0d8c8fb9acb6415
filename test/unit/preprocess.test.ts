import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { preprocessDrawing } from '../../src/core/analysis/preprocess';
import { selectBackend } from '../../src/core/backends';
import { imageAt, loadLabData } from '../../src/core/data/mnist';
import { predict } from '../../src/core/analysis/evaluate';
import { loadModel } from '../../src/core/model/interchange';

const FIXTURE_RUN = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seed-run-20-epochs');

before(async () => {
  await selectBackend('wasm');
});

/** Centre of mass (pixel indices, as MNIST's (14, 14)) and ink bounding box, computed here from scratch. */
function measure(img: Float32Array, size: number) {
  let m = 0;
  let sx = 0;
  let sy = 0;
  let x0 = size;
  let x1 = -1;
  let y0 = size;
  let y1 = -1;
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      const v = img[i * size + j]!;
      if (v <= 1e-6) continue;
      m += v;
      sx += v * j;
      sy += v * i;
      x0 = Math.min(x0, j);
      x1 = Math.max(x1, j);
      y0 = Math.min(y0, i);
      y1 = Math.max(y1, i);
    }
  return { cx: sx / m, cy: sy / m, mass: m, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

test('a filled rectangle off-centre: its box fills 20 px on the long side with its aspect ratio, centre of mass at (14, 14)', () => {
  // 200×200 raster, rectangle 40 wide × 100 high at (130, 20): aspect 2:5 → 8 × 20 output pixels.
  const W = 200;
  const raster = new Float32Array(W * W);
  for (let y = 20; y < 120; y++) for (let x = 130; x < 170; x++) raster[y * W + x] = 1;
  const r = preprocessDrawing(raster, W, W);
  assert.equal(r.kind, 'digit');
  if (r.kind !== 'digit') return;
  assert.deepEqual(r.bounds, { x: 130, y: 20, width: 40, height: 100 });
  assert.equal(r.scale, 0.2);
  const m = measure(r.image, 28);
  assert.ok(Math.abs(m.cx - 14) <= 0.5 && Math.abs(m.cy - 14) <= 0.5, `centre of mass (${m.cx}, ${m.cy})`);
  // Scaled area: 40·100 raster pixels of ink 1 → 8·20 = 160 output pixels' worth of ink.
  assert.ok(Math.abs(m.mass - 160) < 1e-3, `ink ${m.mass}`);
  // The box is 8 × 20 placed at a sub-pixel offset: 20 or 21 rows touched, 8 or 9 columns.
  assert.ok(m.height === 20 || m.height === 21, `height ${m.height}`);
  assert.ok(m.width === 8 || m.width === 9, `width ${m.width}`);
  // Full pixels inside, grey levels only at the edges.
  const full = Array.from(r.image).filter((v) => v > 0.999).length;
  assert.ok(full >= 7 * 19, `${full} full pixels`);
  for (const v of r.image) assert.ok(v >= 0 && v <= 1 + 1e-6);
  assert.deepEqual(r.centreOfMass, { x: m.cx, y: m.cy });
});

test('a wide rectangle keeps its aspect ratio too (20 × 5)', () => {
  const W = 160;
  const H = 90;
  const raster = new Float32Array(W * H);
  for (let y = 70; y < 90; y++) for (let x = 0; x < 80; x++) raster[y * W + x] = 0.5;
  const r = preprocessDrawing(raster, W, H);
  assert.equal(r.kind, 'digit');
  if (r.kind !== 'digit') return;
  const m = measure(r.image, 28);
  assert.ok(Math.abs(m.mass - 0.5 * 20 * 5) < 1e-3);
  assert.ok(Math.abs(m.cx - 14) <= 0.5 && Math.abs(m.cy - 14) <= 0.5);
  assert.ok(m.width === 20 || m.width === 21);
  assert.ok(m.height === 5 || m.height === 6);
  assert.ok(Math.abs(Math.max(...r.image) - 0.5) < 1e-6, 'the grey level of the ink is kept');
  const n = preprocessDrawing(raster, W, H, { normalize: true });
  assert.ok(n.kind === 'digit' && Math.abs(Math.max(...n.image) - 1) < 1e-6, 'normalize scales the brightest pixel to 1');
});

test('an empty drawing is "nothing drawn", not NaN', () => {
  const r = preprocessDrawing(new Float32Array(100 * 80), 100, 80);
  assert.deepEqual(r, { kind: 'empty', message: 'nothing drawn' });
  const faint = new Float32Array(100);
  faint[5] = 0.01;
  assert.equal(preprocessDrawing(faint, 10, 10, { threshold: 0.05 }).kind, 'empty');
  assert.throws(() => preprocessDrawing(new Float32Array(10), 4, 4), /expected 4×4 = 16/);
});

test('a real MNIST test digit upscaled ×4 and preprocessed again stays close and is predicted the same', () => {
  const data = loadLabData();
  const { net } = loadModel(FIXTURE_RUN);
  let same = 0;
  const indices = [0, 1, 2, 3, 4, 7, 11, 18, 61, 99];
  for (const index of indices) {
    const a = imageAt(data.testFile, index);
    const big = new Float32Array(112 * 112);
    for (let y = 0; y < 112; y++) for (let x = 0; x < 112; x++) big[y * 112 + x] = a[(y >> 2) * 28 + (x >> 2)]!;
    const r = preprocessDrawing(big, 112, 112);
    assert.equal(r.kind, 'digit');
    if (r.kind !== 'digit') continue;
    const before = measure(a, 28);
    const after = measure(r.image, 28);
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let p = 0; p < 784; p++) {
      dot += r.image[p]! * a[p]!;
      na += a[p]! ** 2;
      nb += r.image[p]! ** 2;
    }
    const cosine = dot / Math.sqrt(na * nb);
    // MNIST digits were made this way: their long side is ~20 px, their centre of mass ~(14, 14).
    assert.ok(Math.abs(after.cx - 14) <= 0.5 && Math.abs(after.cy - 14) <= 0.5, `#${index}: centre of mass (${after.cx}, ${after.cy})`);
    // The original's own centre of mass is within a pixel of (14, 14) (MNIST moved digits by whole
    // pixels); the sub-pixel move to exactly (14, 14) blurs the strokes a little.
    assert.ok(
      Math.abs(after.cx - before.cx) <= 1 && Math.abs(after.cy - before.cy) <= 1,
      `#${index}: centre of mass moved from (${before.cx}, ${before.cy})`,
    );
    assert.ok(
      Math.abs(after.width - before.width) <= 1 && Math.abs(after.height - before.height) <= 1,
      `#${index}: box ${before.width}×${before.height} → ${after.width}×${after.height}`,
    );
    assert.ok(cosine > 0.85, `#${index}: cosine similarity ${cosine.toFixed(3)}`);
    const p0 = predict(net, a);
    const p1 = predict(net, r.image);
    if (p0.label === p1.label) same++;
    process.stdout.write(
      `# #${index} label ${data.testFile.labels[index]}: cosine ${cosine.toFixed(3)}, centre of mass (${before.cx.toFixed(2)}, ${before.cy.toFixed(2)}) → (${after.cx.toFixed(2)}, ${after.cy.toFixed(2)}), box ${before.width}×${before.height} → ${after.width}×${after.height}, predicted ${p0.label} → ${p1.label} (${p1.probabilities[p1.label]!.toFixed(3)})\n`,
    );
  }
  assert.equal(same, indices.length, `${indices.length - same} of ${indices.length} predictions changed`);
  net.dispose();
});
