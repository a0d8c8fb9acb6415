/**
 * ms per training step of the seed network without and with `training.augment`, interleaved
 * round by round (the load of a shared machine hits every variant alike): the trainer's own
 * replica group, 1 replica on the wasm backend, real MNIST batches; wall and CPU milliseconds
 * per step, and the CPU milliseconds of the augmentation alone per batch.
 *
 *   node scripts/build.mjs && node --input-type=module -e "import { build } from 'esbuild';
 *     import { tfjsParts } from './scripts/esbuild-tfjs.mjs'; await build({ entryPoints:
 *     ['scripts/bench-augment.ts'], outfile: 'dist/bench-augment.js', bundle: true, platform: 'node',
 *     format: 'cjs', packages: 'external', plugins: [tfjsParts] });" && node dist/bench-augment.js [--rounds 6] [--steps 30]
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/core/backends';
import { type Augment, SEED_CONFIG } from '../src/core/config';
import { gatherImages, loadLabData } from '../src/core/data/mnist';
import { ConvNet, specFromConfig } from '../src/core/model/convnet';
import { Rng } from '../src/core/rng';
import { augmentBatch } from '../src/core/train/augment';
import { startReplicas } from '../src/core/train/group';
import { flattenValues } from '../src/core/train/replica';

const VARIANTS: [string, Augment | null][] = [
  ['none (the seed)', null],
  ['shift 3', { shift: 3, rotate: 0, noise: 0 }],
  ['rotate 15', { shift: 0, rotate: 15, noise: 0 }],
  ['noise 0.1', { shift: 0, rotate: 0, noise: 0.1 }],
  ['shift 3 + rotate 15 + noise 0.1', { shift: 3, rotate: 15, noise: 0.1 }],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** CPU time comes in the kernel's ticks: a mean over many steps, not a median of single ones. */
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '6' }, steps: { type: 'string', default: '30' } } });
  const rounds = Number(values.rounds);
  const steps = Number(values.steps);
  const backend = await selectBackend('wasm');
  const data = loadLabData();
  const batch = SEED_CONFIG.training.batchSize;
  const order = new Rng(2).permutation(data.train.count);
  const groups = [];
  for (const [name, augment] of VARIANTS) {
    const config = { ...SEED_CONFIG, training: { ...SEED_CONFIG.training, ...(augment && { augment }) } };
    const spec = specFromConfig(config, data.train.height, data.numClasses);
    const net = ConvNet.init(spec, config.training.seed);
    const group = await startReplicas({
      spec,
      initial: flattenValues(spec, net.values()),
      config,
      train: data.train,
      validation: data.validation,
      backend: backend.name,
      workers: 1,
      replicaScript: join(__dirname, 'replica-worker.js'),
    });
    net.dispose();
    groups.push({ name, augment, group, wall: [] as number[], cpu: [] as number[], augCpu: [] as number[] });
  }
  const size = data.train.height;
  const pixels = new Float32Array(batch * size * size);
  let b = 0;
  const loads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    loads.push(loadavg()[0]!);
    for (const g of groups) {
      for (let s = 0; s < steps; s++, b++) {
        const at = (b * batch) % (data.train.count - batch);
        const indices = order.subarray(at, at + batch);
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        await g.group.step(indices, b);
        const c = process.cpuUsage(c0);
        g.wall.push(performance.now() - t0);
        g.cpu.push((c.user + c.system) / 1000);
        if (g.augment) {
          gatherImages(data.train, indices, pixels);
          const a0 = process.cpuUsage();
          augmentBatch(g.augment, 1, b, 0, pixels, batch, size);
          const a = process.cpuUsage(a0);
          g.augCpu.push((a.user + a.system) / 1000);
        }
      }
    }
  }
  console.log(`wasm, 1 replica, batch ${batch}; ${rounds} rounds × ${steps} steps per variant, interleaved`);
  console.log(`load average (1 min) at each round: ${loads.map((l) => l.toFixed(2)).join(', ')}`);
  console.log('variant | wall ms/step (median) | CPU ms/step (mean) | augmentation alone, CPU ms/batch (mean)');
  for (const g of groups) {
    const aug = g.augCpu.length ? mean(g.augCpu).toFixed(3) : '–';
    console.log(`${g.name} | ${median(g.wall).toFixed(2)} | ${mean(g.cpu).toFixed(2)} | ${aug}`);
    await g.group.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
