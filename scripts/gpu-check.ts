/**
 * The accelerated-backend check (issue 6), bundled by scripts/gpu-check.sh into one program that
 * runs on a machine with nothing but Linux: for each backend that loads (tensorflow-gpu, webgpu,
 * tensorflow, wasm; --backends picks), the PyTorch fixture (forward, feature maps, two
 * SGD-momentum steps; max relative error) and a timed training run on real MNIST (ms/step after
 * warm-up), printed side by side, and written as JSON with --json-out FILE.
 *
 *   node dist/gpu-check.js [--backends tensorflow-gpu,webgpu,wasm] [--steps 100] [--warmup 10]
 *                          [--fixture FILE] [--json-out FILE]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BackendAttempt, type BackendOptions, selectBackend } from '../src/core/backends';
import { SEED_CONFIG, parseConfig } from '../src/core/config';
import { loadLabData } from '../src/core/data/mnist';
import { errorMessage } from '../src/core/errors';
import { ConvNet, PARAM_NAMES, specFromConfig } from '../src/core/model/convnet';
import { fromTorchStateDict, torchStateDictOf } from '../src/core/model/interchange';
import { type NamedTensor, decodeSafetensors } from '../src/core/model/safetensors';
import { Rng } from '../src/core/rng';
import { tf } from '../src/core/tf';
import { DeviceGroup } from '../src/core/train/deviceGroup';
import { startReplicas } from '../src/core/train/group';
import { flattenValues, unflattenValues } from '../src/core/train/replica';
import { maxAbs, maxAbsDiff, nhwcToNchw } from '../src/core/numeric';

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'tensorflow-gpu,webgpu,tensorflow,wasm' },
    steps: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '10' },
    fixture: { type: 'string' },
    'json-out': { type: 'string' },
  },
});

/** The fixture: beside the bundle (the archive) or in the checkout's test/fixtures. */
function fixturePath(): string {
  if (args.fixture) return args.fixture;
  for (const p of [join(__dirname, 'pytorch-seed.safetensors'), join(__dirname, '..', 'test', 'fixtures', 'pytorch-seed.safetensors')]) {
    if (existsSync(p)) return p;
  }
  throw new Error('no PyTorch fixture (pytorch-seed.safetensors) beside the program or in test/fixtures; pass --fixture FILE');
}

const backendOptions: BackendOptions = { wasmDir: process.env.MNIST_LAB_WASM_DIR || __dirname };
const rel = (ours: ArrayLike<number>, ref: ArrayLike<number>) => maxAbsDiff(ours, ref) / maxAbs(ref);

/** The PyTorch fixture on the active backend, with asynchronous reads (they work everywhere). */
async function fixtureErrors(file: string): Promise<Record<string, number>> {
  const fx = decodeSafetensors(readFileSync(file), file);
  const T = (n: string): NamedTensor =>
    fx.tensors[n] ??
    (() => {
      throw new Error(`fixture has no ${n}`);
    })();
  const sd = (prefix: string) => Object.fromEntries(PARAM_NAMES.map((n) => [n, T(prefix + n)]));
  const N = T('images').shape[0]!;
  const x = tf.tensor4d(T('images').data, [N, 28, 28, 1]);
  const y = tf.tensor1d(Int32Array.from(T('labels').data), 'int32');
  const errors: Record<string, number> = {};
  const net = fromTorchStateDict(sd(''), file);
  // Read before the first use: a GPU backend cannot read weights back synchronously afterwards.
  const spec = net.spec;
  const initial = flattenValues(spec, net.values());
  const logp = net.forward(x);
  const [f1, f2] = net.featureMaps(x);
  const [l, a1, a2] = await Promise.all([logp.data(), f1.data(), f2.data()]);
  errors.forward = rel(l, T('logprobs').data);
  errors.conv1 = rel(nhwcToNchw(a1, N, 28, 28, f1.shape[3]), T('features.conv1').data);
  errors.conv2 = rel(nhwcToNchw(a2, N, 14, 14, f2.shape[3]), T('features.conv2').data);
  tf.dispose([logp, f1, f2]);
  net.dispose();
  const none = { count: 0, height: 28, width: 28, images: new Uint8Array(0), labels: new Uint8Array(0) };
  const group = new DeviceGroup({ spec, initial, config: parseConfig({ training: { batchSize: N } }), train: none, validation: none });
  try {
    for (const step of [1, 2]) {
      const [loss, right] = group.descend(x, y, undefined);
      errors[`loss${step}`] = Math.abs((await loss.data())[0]! - T(`loss.step${step}`).data[0]!) / Math.abs(T(`loss.step${step}`).data[0]!);
      tf.dispose([loss, right]);
      const now = torchStateDictOf(spec, unflattenValues(spec, await group.weights()));
      errors[`step${step}`] = PARAM_NAMES.reduce((m, n) => Math.max(m, rel(now[n]!.data, T(`step${step}.${n}`).data)), 0);
    }
  } finally {
    tf.dispose([x, y]);
    await group.dispose();
  }
  return errors;
}

/** ms/step of the lab's own training step (batch 64, the seed's settings) after warm-up. */
async function timedTraining(backend: string, steps: number, warmup: number) {
  const data = loadLabData();
  const config = parseConfig(structuredClone(SEED_CONFIG));
  const spec = specFromConfig(config, 28, 10);
  const init = ConvNet.init(spec, 1);
  const initial = flattenValues(spec, init.values());
  init.dispose();
  const order = new Rng(2).permutation(data.train.count);
  const group = await startReplicas({ spec, initial, config, train: data.train, validation: data.validation, backend, workers: 1 });
  try {
    const losses: number[] = [];
    const t0 = performance.now();
    let tWarm = t0;
    for (let s = 0; s < warmup + steps; s++) {
      if (s === warmup) tWarm = performance.now();
      losses.push((await group.step(order.subarray(s * 64, (s + 1) * 64), s)).loss);
    }
    const end = performance.now();
    return {
      msPerStep: (end - tWarm) / steps,
      firstStepsMs: tWarm - t0,
      lossFirst: losses[0]!,
      lossLast: losses.at(-1)!,
      group: group.constructor.name,
    };
  } finally {
    await group.dispose();
  }
}

interface Row {
  backend: string;
  ok: boolean;
  device?: string;
  reason?: string;
  attempts?: BackendAttempt[];
  fixture?: Record<string, number>;
  maxFixtureError?: number;
  training?: Awaited<ReturnType<typeof timedTraining>>;
  error?: string;
}

async function main(): Promise<number> {
  const steps = Number(args.steps);
  const warmup = Number(args.warmup);
  const fixture = fixturePath();
  const rows: Row[] = [];
  process.stdout.write(`MNIST Lab accelerated-backend check: node ${process.version}, ${process.platform}-${process.arch}\n`);
  for (const backend of args
    .backends!.split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const row: Row = { backend, ok: false };
    rows.push(row);
    try {
      const active = await selectBackend(backend, backendOptions);
      row.device = active.device;
    } catch (e) {
      row.reason = errorMessage(e);
      process.stdout.write(`\n${backend}: cannot be used: ${row.reason}\n`);
      continue;
    }
    process.stdout.write(`\n${backend}: ${row.device}\n`);
    try {
      row.fixture = await fixtureErrors(fixture);
      row.maxFixtureError = Math.max(...Object.values(row.fixture));
      process.stdout.write(
        `  PyTorch fixture, max relative error: ${Object.entries(row.fixture)
          .map(([k, v]) => `${k} ${v.toExponential(1)}`)
          .join(', ')}\n`,
      );
      row.training = await timedTraining(backend, steps, warmup);
      process.stdout.write(
        `  training: ${row.training.msPerStep.toFixed(1)} ms/step over ${steps} steps after ${warmup} warm-up steps (${(row.training.firstStepsMs / 1000).toFixed(1)} s); loss ${row.training.lossFirst.toFixed(3)} → ${row.training.lossLast.toFixed(3)}\n`,
      );
      row.ok = row.maxFixtureError <= 1e-4 && row.training.lossLast < row.training.lossFirst;
    } catch (e) {
      row.error = errorMessage(e);
      process.stdout.write(`  failed: ${row.error}\n`);
    }
  }
  const wasm = rows.find((r) => r.backend === 'wasm' && r.training);
  process.stdout.write(`\nbackend          ms/step   vs wasm   fixture max rel. error   device\n`);
  for (const r of rows) {
    const ms = r.training ? r.training.msPerStep.toFixed(1) : '—';
    const ratio = r.training && wasm?.training ? `${(wasm.training.msPerStep / r.training.msPerStep).toFixed(2)}×` : '—';
    const fx = r.maxFixtureError !== undefined ? r.maxFixtureError.toExponential(1) : '—';
    process.stdout.write(
      `${r.backend.padEnd(16)} ${ms.padStart(7)}   ${ratio.padStart(7)}   ${fx.padStart(22)}   ${r.device ?? `not available: ${r.reason ?? r.error}`}\n`,
    );
  }
  if (args['json-out']) writeFileSync(args['json-out'], `${JSON.stringify({ node: process.version, steps, warmup, rows }, null, 2)}\n`);
  // Fails when a backend that loaded gave wrong numbers; a backend that is absent is reported only.
  return rows.some((r) => r.device && !r.ok) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`gpu-check: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
