/**
 * The layer histograms and the dead-channel analysis (issue 16, item 5), against independent
 * answers: numpy's np.histogram / np.quantile and PyTorch's activations of the committed
 * 20-epoch run (test/fixtures/layer-stats.json, written by tools/pytorch/layer_stats_fixture.py),
 * a direct count over sorted values, the training step's own gradients; and the training hook
 * changes nothing: the same run with and without it ends with bit-identical weights.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import fc from 'fast-check';
import {
  HISTOGRAM_BINS,
  HISTOGRAM_KINDS,
  HISTOGRAM_LAYERS,
  HISTOGRAM_QUANTILES,
  type EpochHistograms,
  binEdge,
  parseHistogramsJsonl,
  summarize,
} from '../../src/core/analysis/histograms';
import { channelActivity, epochHistograms, histogramProbe, layerOutputs, lossGradients } from '../../src/core/analysis/layerStats';
import { selectBackend } from '../../src/core/backends';
import { type LabConfig, SEED_CONFIG, parseConfig } from '../../src/core/config';
import { type LabData, loadLabData, subset } from '../../src/core/data/mnist';
import { ConvNet, PARAM_NAMES, specFromConfig } from '../../src/core/model/convnet';
import { loadModel } from '../../src/core/model/interchange';
import { Rng } from '../../src/core/rng';
import { readRun } from '../../src/core/runs/store';
import { runTraining } from '../../src/core/session';
import { tf } from '../../src/core/tf';
import { Replica, flattenValues, unflattenValues } from '../../src/core/train/replica';
import { train } from '../../src/core/train/trainer';
import { checkProperty } from './props';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const SEED_RUN = join(FIXTURES, 'seed-run-20-epochs');

interface Fixture {
  quantiles: number[];
  histograms: { name: string; values: number[]; counts: number[]; edges: number[]; quantiles: number[] }[];
  activity: {
    images: number;
    layers: Record<
      'conv1' | 'conv2' | 'fc1',
      { channels: number; positions: number; max: number[]; activeImages: number[]; activeShare: number[]; dead: number[] }
    >;
  };
}
const fixture = JSON.parse(readFileSync(join(FIXTURES, 'layer-stats.json'), 'utf8')) as Fixture;

const full = loadLabData();
const small: LabData = { ...full, train: subset(full.train, 0, 1280), validation: subset(full.validation, 0, 500) };
const cfg = (training: Partial<LabConfig['training']>): LabConfig => parseConfig({ training: { ...SEED_CONFIG.training, ...training } });

before(async () => {
  await selectBackend('wasm');
});

/** The histogram by the definition: sort, then count the values between consecutive edges. */
function directCounts(values: number[], bins: number): number[] {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const min = sorted[0]!;
  const max = sorted.at(-1)!;
  const counts: number[] = [];
  for (let i = 0; i < bins; i++) {
    const lo = binEdge(min, max, bins, i);
    const hi = binEdge(min, max, bins, i + 1);
    counts.push(sorted.filter((v) => v >= lo && (i === bins - 1 ? v <= hi : v < hi)).length);
  }
  return counts;
}

test('TensorBoard’s quantiles, 30 bins', () => {
  assert.deepEqual([...HISTOGRAM_QUANTILES], fixture.quantiles);
  assert.equal(HISTOGRAM_BINS, 30);
});

test('histograms and quantiles equal numpy’s (np.histogram, np.quantile) and a direct count over the sorted values', () => {
  for (const c of fixture.histograms) {
    const h = summarize(Float32Array.from(c.values));
    assert.deepEqual(h.counts, c.counts, `${c.name}: counts against np.histogram`);
    assert.deepEqual(h.counts, directCounts(c.values, 30), `${c.name}: counts against a direct count`);
    assert.equal(h.count, c.values.length);
    assert.equal(h.min, c.edges[0]);
    assert.equal(h.max, c.edges.at(-1));
    for (let i = 0; i < c.quantiles.length; i++) {
      const want = c.quantiles[i]!;
      // 6 significant digits are recorded.
      assert.ok(
        Math.abs(h.quantiles[i]! - want) <= 5e-6 * Math.abs(want) + 1e-12,
        `${c.name}: quantile ${HISTOGRAM_QUANTILES[i]}: ${h.quantiles[i]} vs numpy ${want}`,
      );
    }
    assert.equal(h.zeros, c.values.filter((v) => v === 0).length);
  }
  // By hand: [1, 2, 3, 4] in 3 bins of width 1: [1, 2), [2, 3), [3, 4].
  const four = summarize([4, 1, 3, 2], 3);
  assert.deepEqual(four.counts, [1, 1, 2]);
  assert.deepEqual(four.quantiles, [1, 1.2004, 1.4761, 1.9255, 2.5, 3.0745, 3.5239, 3.7996, 4]);
  assert.equal(four.mean, 2.5);
});

test('summarize equals a sort-based reference on random values: zeros (±0), negatives, repeats, non-finite (property)', () => {
  const value = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(0, -0) },
    { weight: 4, arbitrary: fc.float({ min: -3, max: 3, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 1e-30, -1e-30, 2, -2) },
  );
  checkProperty(
    'summarize',
    fc.property(fc.array(value, { maxLength: 300 }), fc.integer({ min: 1, max: 40 }), (values, bins) => {
      const h = summarize(Float32Array.from(values), bins);
      const finite = values.filter(Number.isFinite).map((v) => Math.fround(v));
      assert.equal(h.count, finite.length);
      assert.equal(h.nonFinite, values.length - finite.length);
      assert.equal(h.zeros, finite.filter((v) => v === 0).length);
      if (finite.length === 0) return;
      // A constant tensor has all its values in the first bin (the direct count puts them in the last).
      const constant = finite.every((v) => v === finite[0]);
      assert.deepEqual(h.counts, constant ? [finite.length, ...new Array<number>(bins - 1).fill(0)] : directCounts(finite, bins));
      const sorted = [...finite].sort((a, b) => a - b);
      const want = HISTOGRAM_QUANTILES.map((q) => {
        const p = q * (sorted.length - 1);
        const lo = Math.floor(p);
        const v = sorted[lo]!;
        const x = v + (sorted[Math.min(sorted.length - 1, lo + 1)]! - v) * (p - lo);
        return x === 0 ? 0 : Number(x.toPrecision(6));
      });
      assert.deepEqual(h.quantiles, want);
    }),
    500,
  );
});

test('non-finite values are counted apart; a constant or empty tensor has one bin / none', () => {
  const h = summarize([1, NaN, Infinity, 1, -Infinity]);
  assert.equal(h.count, 2);
  assert.equal(h.nonFinite, 3);
  assert.equal(h.counts[0], 2);
  assert.deepEqual(new Set(h.quantiles), new Set([1]));
  const none = summarize([]);
  assert.equal(none.count, 0);
  assert.equal(
    none.counts.reduce((a, b) => a + b, 0),
    0,
  );
});

test('the fc2 logits of layerOutputs are what the network’s forward pass log-softmaxes', () => {
  const net = loadModel(join(SEED_RUN, 'model', 'model.safetensors')).net;
  const x = tf.tensor4d(full.validation.images.subarray(0, 20 * 784), [20, 28, 28, 1]).div(255) as tf.Tensor4D;
  const out = layerOutputs(net, x);
  const a = tf.logSoftmax(out.fc2 as tf.Tensor2D).dataSync();
  const b = net.forward(x).dataSync();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-5);
  assert.deepEqual(out.conv1.shape, [20, 28, 28, 4]);
  assert.deepEqual(out.conv2.shape, [20, 14, 14, 8]);
  assert.deepEqual(out.fc1.shape, [20, 512]);
  tf.dispose([x, ...Object.values(out)]);
  net.dispose();
});

test('the histogrammed gradient is the mean of the training step’s own over 4 batches of 64 (its hand-written backward, dropout off)', async () => {
  const spec = specFromConfig(SEED_CONFIG);
  const net = ConvNet.init(spec, 3);
  const probe = histogramProbe(small);
  const ours = await lossGradients(net, probe.gradientX, probe.gradientY);
  const replica = new Replica(spec, flattenValues(spec, net.values()), SEED_CONFIG.training);
  const grads = new Float32Array(replica.size);
  const mean = new Float32Array(replica.size);
  for (let b = 0; b < 4; b++) {
    replica.gradients(
      small.train,
      Array.from({ length: 64 }, (_, i) => 64 * b + i),
      0,
      0,
      grads,
      0,
    );
    for (let i = 0; i < mean.length; i++) mean[i]! += grads[i]! / 4;
  }
  const theirs = unflattenValues(spec, mean);
  for (const name of PARAM_NAMES) {
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < theirs[name].length; i++) {
      scale = Math.max(scale, Math.abs(theirs[name][i]!));
      diff = Math.max(diff, Math.abs(theirs[name][i]! - ours[name][i]!));
    }
    assert.ok(diff <= 1e-4 * scale + 1e-7, `${name}: max |Δ| ${diff} (scale ${scale})`);
  }
  // On wasm the epoch record takes this gradient from the same kernels (not autodiff): its
  // gradient histograms are exactly those of the step's own mean gradient.
  const h = await epochHistograms(net, probe, 1);
  for (const layer of HISTOGRAM_LAYERS) {
    assert.deepEqual(h.layers[layer].weightGrad, summarize(theirs[`${layer}.weight`]), `${layer}.weight gradient`);
    assert.deepEqual(h.layers[layer].biasGrad, summarize(theirs[`${layer}.bias`]), `${layer}.bias gradient`);
  }
  replica.dispose();
  probe.dispose();
  net.dispose();
});

test('an epoch record: every layer and kind, the probe sizes, inactive channels, and it reads back through the checked parser', async () => {
  const net = loadModel(join(SEED_RUN, 'model', 'model.safetensors')).net;
  const probe = histogramProbe(full);
  const before = tf.memory().numTensors;
  const h = await epochHistograms(net, probe, 20);
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  assert.equal(h.activationImages, 500);
  assert.equal(h.gradientImages, 256);
  const values = net.values();
  for (const layer of HISTOGRAM_LAYERS) {
    for (const kind of HISTOGRAM_KINDS) assert.equal(h.layers[layer][kind].counts.length, 30, `${layer}.${kind}`);
    assert.equal(h.layers[layer].weight.count, values[`${layer}.weight`].length);
    assert.equal(h.layers[layer].weightGrad.count, values[`${layer}.weight`].length);
  }
  assert.equal(h.layers.conv1.activation.count, 500 * 28 * 28 * 4);
  assert.equal(h.layers.fc2.activation.count, 500 * 10);
  assert.equal(h.layers.fc2.inactive, undefined);
  // ReLU outputs: never negative, many exact zeros.
  assert.equal(h.layers.conv2.activation.min, 0);
  assert.ok(h.layers.conv2.activation.zeros > 0);
  // The 5 fc1 units dead on the whole validation split are dead on its first 500 images too.
  for (const u of fixture.activity.layers.fc1.dead) assert.ok(h.layers.fc1.inactive!.includes(u), `fc1 unit ${u}`);
  const line = `${JSON.stringify(h)}\n`;
  assert.ok(line.length < 16_000, `a record is ${line.length} bytes`);
  assert.deepEqual(parseHistogramsJsonl(line + line.replace('"epoch":20', '"epoch":21'), 'h.jsonl')[1]!.layers, h.layers);
  log(`one epoch record of the committed run: ${h.ms} ms, ${line.length} bytes`);
  probe.dispose();
  net.dispose();
});

test('dead channels of the committed run equal PyTorch’s direct computation: none in conv1 and conv2, fc1 units 5, 28, 73, 170, 444', async () => {
  const net = loadModel(join(SEED_RUN, 'model', 'model.safetensors')).net;
  const r = await channelActivity(net, full.validation);
  assert.equal(r.images, 5000);
  for (const l of r.layers) {
    const want = fixture.activity.layers[l.layer];
    assert.deepEqual(l.dead, want.dead, `${l.layer}: dead channels`);
    assert.equal(l.channels, want.channels);
    assert.equal(l.positions, want.positions);
    for (let c = 0; c < l.channels; c++) {
      assert.ok(
        Math.abs(l.max[c]! - want.max[c]!) <= 1e-4 * Math.max(1, want.max[c]!),
        `${l.layer}[${c}] max ${l.max[c]} vs ${want.max[c]}`,
      );
      // An output within float rounding of 0 may fall either side of it: a few images or outputs at most.
      assert.ok(
        Math.abs(l.activeImages[c]! - want.activeImages[c]!) <= 2,
        `${l.layer}[${c}] active images ${l.activeImages[c]} vs ${want.activeImages[c]}`,
      );
      assert.ok(
        Math.abs(l.activeShare[c]! - want.activeShare[c]!) <= 2 / r.images,
        `${l.layer}[${c}] active share ${l.activeShare[c]} vs ${want.activeShare[c]}`,
      );
    }
  }
  assert.deepEqual(
    r.layers.map((l) => l.dead),
    [[], [], [5, 28, 73, 170, 444]],
  );
  net.dispose();
});

test('a channel made dead (weights 0, bias −1) is found, and only it', async () => {
  const loaded = loadModel(join(SEED_RUN, 'model', 'model.safetensors')).net;
  const values = loaded.values();
  loaded.dispose();
  // conv2.weight is [k, k, in, out]: output channel 3 is every 8th value from 3.
  const w = values['conv2.weight'];
  for (let i = 3; i < w.length; i += 8) w[i] = 0;
  values['conv2.bias'][3] = -1;
  const net = ConvNet.fromValues(specFromConfig(SEED_CONFIG), values);
  const r = await channelActivity(net, subset(full.validation, 0, 300), 128);
  assert.deepEqual(r.layers[1]!.dead, [3]);
  assert.deepEqual(r.layers[0]!.dead, []);
  assert.equal(r.layers[1]!.max[3], 0);
  assert.equal(r.layers[1]!.activeImages[3], 0);
  net.dispose();
});

test('the training hook changes nothing: with and without histograms the weights are bit-identical (1 and 2 replicas); its cost is measured', async () => {
  const config = cfg({ epochs: 2, evalEvery: 5 });
  const probe = histogramProbe(small);
  const run = async (workers: number, withHook: boolean) => {
    const net = ConvNet.init(specFromConfig(config), 5);
    const records: EpochHistograms[] = [];
    const t0 = performance.now();
    const result = await train({
      config,
      data: small,
      net,
      workers,
      backend: 'wasm',
      onEpoch: (e) => e.histograms && records.push(e.histograms),
      ...(withHook && { onEpochEnd: async (epoch: number, n: ConvNet) => ({ histograms: await epochHistograms(n, probe, epoch) }) }),
    });
    const ms = performance.now() - t0;
    const values = flattenValues(net.spec, net.values());
    net.dispose();
    return { result, values, records, ms };
  };
  for (const workers of [1, 2]) {
    const without = await run(workers, false);
    const withIt = await run(workers, true);
    assert.equal(without.records.length, 0);
    assert.deepEqual(
      withIt.records.map((r) => r.epoch),
      [1, 2],
    );
    assert.ok(Buffer.from(withIt.values.buffer).equals(Buffer.from(without.values.buffer)), `${workers} replica(s): the weights differ`);
    assert.equal(withIt.result.valAccuracy, without.result.valAccuracy);
    log(
      `${workers} replica(s), 2 epochs of 20 steps: ${without.ms.toFixed(0)} ms without, ${withIt.ms.toFixed(0)} ms with histograms (${withIt.records.map((r) => r.ms).join(' + ')} ms in the hook)`,
    );
  }
  probe.dispose();
});

test('runTraining writes histograms.jsonl, one record per epoch, and readRun reads it back; histograms: false writes none', async () => {
  const out = mkdtempSync(join(tmpdir(), 'mnist-hist-'));
  try {
    const config = parseConfig({ name: 'hist', training: { ...SEED_CONFIG.training, epochs: 2, evalEvery: 10 } });
    const seen: number[] = [];
    const s = await runTraining({
      config,
      outDir: out,
      backend: 'wasm',
      data: small,
      onEvent: (e) => e.type === 'epoch' && e.histograms && seen.push(e.histograms.epoch),
    });
    assert.deepEqual(seen, [1, 2]);
    const run = readRun(s.runDir);
    assert.deepEqual(
      run.histograms!.map((h) => h.epoch),
      [1, 2],
    );
    const none = await runTraining({ config, outDir: out, backend: 'wasm', data: small, histograms: false });
    assert.deepEqual(readRun(none.runDir).histograms, []);
    // A run's histograms.jsonl is a file the lab may not have written: a bad one is an error naming it.
    writeFileSync(join(s.runDir, 'histograms.jsonl'), '{"epoch": 1}\n');
    assert.throws(() => readRun(s.runDir), /histograms\.jsonl: line 1: activationImages must be a whole number/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a hostile histograms.jsonl: every field checked, an unfinished last line left out', () => {
  const good = JSON.parse(JSON.stringify(sample())) as Record<string, unknown>;
  const line = (o: unknown) => `${JSON.stringify(o)}\n`;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const mutate = (f: (r: any) => void) => {
    const r = JSON.parse(JSON.stringify(good));
    f(r);
    return line(r);
  };
  assert.equal(parseHistogramsJsonl(line(good) + '{"epoch": 2, "act', 'h').length, 1);
  const cases: [string, RegExp][] = [
    ['[1]\n', /record must be a JSON object/],
    ['nope\n' + line(good), /line 1 is not JSON/],
    [mutate((r) => (r.extra = 1)), /unexpected field "extra"/],
    [mutate((r) => (r.epoch = 0)), /epoch must be a whole number ≥ 1/],
    [mutate((r) => (r.ms = -1)), /ms must be a number ≥ 0/],
    [mutate((r) => delete r.layers.fc2), /layers\.fc2 must be an object/],
    [mutate((r) => (r.layers.fc3 = {})), /unexpected layer "fc3"/],
    [mutate((r) => (r.layers.conv1.weight.counts = [1])), /layers\.conv1\.weight counts must be 30/],
    [mutate((r) => (r.layers.conv1.weight.counts[0] += 1)), /counts must add up to count/],
    [mutate((r) => (r.layers.conv1.bias.quantiles[3] = 1e9)), /quantiles must not decrease/],
    [mutate((r) => (r.layers.conv1.bias.min = 'x')), /min must be a finite number/],
    [mutate((r) => (r.layers.conv1.bias.min = 1e9)), /min must not exceed max/],
    [mutate((r) => (r.layers.fc1.inactive = [-1])), /inactive must be at most 8192 channel numbers/],
    [
      line(good).replace('"activation":{', '"activation":{"__proto__":{},'),
      /layers\.conv1\.activation has an unexpected field "__proto__"/,
    ],
    [line(good) + line(good), /epoch 1 does not follow epoch 1/],
  ];
  for (const [text, want] of cases) assert.throws(() => parseHistogramsJsonl(text, 'h.jsonl'), want, text.slice(0, 120));
  assert.throws(
    () => parseHistogramsJsonl(Array.from({ length: 1001 }, (_, i) => mutate((r) => (r.epoch = i + 1))).join(''), 'h'),
    /more than 1000 records/,
  );
});

/** A small, valid record. */
function sample(): EpochHistograms {
  const rng = new Rng(2);
  const h = () => summarize(Array.from({ length: 50 }, () => rng.next() - 0.5));
  const layer = () => ({ weight: h(), bias: h(), weightGrad: h(), biasGrad: h(), activation: h() });
  return {
    epoch: 1,
    activationImages: 500,
    gradientImages: 256,
    ms: 12,
    layers: { conv1: layer(), conv2: layer(), fc1: { ...layer(), inactive: [1, 2] }, fc2: layer() },
  };
}

function log(s: string): void {
  process.stdout.write(`# ${s}\n`);
}
