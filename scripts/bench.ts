/**
 * npm run bench: ms per training step of the seed network (batch 64, real MNIST batches) on each
 * TensorFlow.js backend (wasm: with the WebAssembly kernel step and with the tfjs step), and the
 * same network in PyTorch on the same batches (when /usr/bin/python3 has torch) on 1 thread and
 * on all cores, and the seed's notebook code as written (DataLoaders), measured in one run,
 * interleaved round by round so that the load of a shared machine hits every engine alike.
 * Prints median and p90 ms/step, CPU ms/step (all threads), a validation pass, the estimated
 * seconds per epoch with the seed's validation passes, and the ratios to PyTorch (1 thread and
 * the faster of 1 thread and all cores).
 *
 *   node dist/bench.js [--rounds 8] [--steps 20] [--warmup 5] [--cpu-steps 2] [--val-passes 3]
 *                      [--backends wasm,cpu] [--python /usr/bin/python3] [--no-torch]
 *                      [--notebook-runs 2] [--no-tfjs-step]
 *   node dist/bench.js --full [--epochs 20] [--max-steps N] [--backend wasm]
 *       the seed's whole training (20 epochs, seed settings) in MNIST Lab, then in PyTorch:
 *       time and accuracies side by side. Takes many minutes.
 *   node dist/bench.js --lag [--lag-seconds 20]
 *       the extension host's event-loop lag while the extension trains: this process plays the
 *       host (the extension's own TrainingController and worker process), measured idle (the
 *       baseline), then training with the extension's default workers, then with one per core.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/core/backends';
import { installFastGradients, restoreStockGradients } from '../src/core/backends/gradients';
import { SEED_CONFIG, type LabConfig } from '../src/core/config';
import { type LabData, loadLabData } from '../src/core/data/mnist';
import { evaluate } from '../src/core/analysis/evaluate';
import { ConvNet, specFromConfig } from '../src/core/model/convnet';
import { Rng } from '../src/core/rng';
import { kernelVariant } from '../src/core/train/convKernel';
import { type ReplicaGroup, defaultWorkers, startReplicas } from '../src/core/train/group';
import { flattenValues } from '../src/core/train/replica';
import { train } from '../src/core/train/trainer';
import { tf } from '../src/core/tf';
import { TrainingController } from '../src/extension/trainingController';
import { WORKER_PRIORITY } from '../src/worker/priority';
import { LagMonitor, type LagStats } from '../src/extension/lagMonitor';

const ROOT = join(__dirname, '..');
const BENCH_PY = join(ROOT, 'tools', 'pytorch', 'bench_seed.py');
/** The seed's notebook code as written (torchvision DataLoaders): the job --full compares with. */
const NOTEBOOK_PY = join(ROOT, 'tools', 'pytorch', 'seed_notebook.py');
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
const BATCH = SEED_CONFIG.training.batchSize;
const USAGE = `npm run bench [-- OPTIONS]   (node dist/bench.js [OPTIONS])

Interleaved ms/step of the seed ConvNet (batch 64, real MNIST) on each TensorFlow.js backend and
in PyTorch (/usr/bin/python3 with torch, 1 thread, OpenBLAS when present), with a validation pass,
estimated seconds per epoch and the ratio to PyTorch.
  --rounds N        interleaved rounds (default 8)
  --steps N         measured steps per round and engine (default 20)
  --warmup N        unmeasured steps first (default 5)
  --cpu-steps N     measured steps of the slow backends: cpu, webgpu on a software adapter
                    (default 2; 0 = skip their timing)
  --val-passes N    validation passes measured per engine (default 3)
  --backends LIST   MNIST Lab backends (default: every one that loads here, of
                    tensorflow-gpu,tensorflow,webgpu,wasm,cpu)
  --workers N       data-parallel replicas measured besides 1 (default: the number of cores);
                    with --full, the replicas of MNIST Lab's run
  --python PATH     the Python with torch (default /usr/bin/python3)
  --no-torch        MNIST Lab only
  --notebook-runs N rounds that also run the seed's notebook code for 100 steps (its
                    DataLoaders, one validation pass: the seed's share per 100 steps; default 2)
  --no-tfjs-step    wasm with the WebAssembly kernel step only (not also the tfjs step)
  --full            the seed's whole job instead: 20 epochs in MNIST Lab, then in PyTorch; time
                    and accuracies side by side (takes long)
    --epochs N      epochs of --full (default 20)
    --max-steps N   stop --full after N steps (a quick check of the mode)
    --backend NAME  MNIST Lab backend of --full (default auto)
  --lag             the extension host's event-loop lag while training instead: this process
                    runs the extension's TrainingController and worker process (dist/worker.js)
                    and measures its own event loop: idle, then training with the extension's
                    default workers (mnistLab.workers), then with one per core
    --lag-seconds N seconds of each window (default 20)
`;

const { values: opts } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '8' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    'cpu-steps': { type: 'string', default: '2' },
    'val-passes': { type: 'string', default: '3' },
    backends: { type: 'string', default: 'tensorflow-gpu,tensorflow,webgpu,wasm,cpu' },
    backend: { type: 'string', default: 'auto' },
    workers: { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'no-torch': { type: 'boolean', default: false },
    'notebook-runs': { type: 'string', default: '2' },
    'no-tfjs-step': { type: 'boolean', default: false },
    epochs: { type: 'string', default: String(SEED_CONFIG.training.epochs) },
    'max-steps': { type: 'string' },
    lag: { type: 'boolean', default: false },
    'lag-seconds': { type: 'string', default: '20' },
    help: { type: 'boolean', default: false },
  },
});

function int(name: keyof typeof opts, min: number): number {
  const v = Number(opts[name]);
  if (!Number.isInteger(v) || v < min) {
    process.stderr.write(`--${name}: expected a whole number ≥ ${min}, got '${opts[name]}'\n`);
    process.exit(2);
  }
  return v;
}

const quantile = (xs: number[], q: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
};
const median = (xs: number[]) => quantile(xs, 0.5);

// ---------------------------------------------------------------- PyTorch (a child process)

interface TorchInfo {
  torch: string;
  threads: number;
  blas: string;
  blasLibraries: string[];
}

function torchEnv(threads = 1): NodeJS.ProcessEnv {
  const t = String(threads);
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t };
  if (existsSync(OPENBLAS_DIR)) env.LD_LIBRARY_PATH = [OPENBLAS_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return env;
}

/** Whether the python has torch: its version and the BLAS it really loads, or why not. */
function probeTorch(python: string): { info?: TorchInfo; why?: string } {
  if (!existsSync(python)) return { why: `${python} does not exist` };
  const r = spawnSync(python, [BENCH_PY, '--probe'], { env: torchEnv(), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    const err = (r.stderr || r.error?.message || '').trim().split('\n').pop();
    return { why: `${python} cannot run PyTorch (${err || `exit ${r.status}`})` };
  }
  try {
    return { info: JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchInfo };
  } catch {
    return { why: `unexpected probe output: ${r.stdout}` };
  }
}

/** The bench_seed.py --serve process: one JSON line answered per command line. */
class TorchServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly lines: string[] = [];
  private stderr = '';
  private exited: string | null = null;

  constructor(
    python: string,
    batchesFile: string,
    readonly threads = 1,
  ) {
    this.child = spawn(
      python,
      [BENCH_PY, '--serve', '--batches', batchesFile, '--threads', String(threads), '--seed', String(SEED_CONFIG.training.seed)],
      {
        env: torchEnv(threads),
      },
    );
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.on('exit', (code) => {
      this.exited = `PyTorch benchmark exited (${code}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      for (const w of this.waiting.splice(0)) w('');
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (w) w(line);
      else this.lines.push(line);
    });
  }

  private next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.exited) return Promise.reject(new Error(this.exited));
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async read<T>(): Promise<T> {
    const line = await this.next();
    if (!line) throw new Error(this.exited ?? 'PyTorch benchmark closed its output');
    const v = JSON.parse(line) as T & { error?: string };
    if (v.error) throw new Error(`PyTorch benchmark: ${v.error}`);
    return v;
  }

  async request<T>(cmd: string): Promise<T> {
    this.child.stdin.write(`${cmd}\n`);
    return this.read<T>();
  }

  close(): void {
    if (!this.exited) this.child.stdin.end('quit\n');
  }
}

// ---------------------------------------------------------------- MNIST Lab (in this process)

/**
 * One engine under test: the trainer's own replica group (src/core/train/group.ts) on a backend,
 * with 1 replica on this thread or N data-parallel replicas on worker threads — exactly what
 * `mnist-lab train --workers N` runs per step and per validation pass.
 */
type StepKind = 'kernel' | 'kernel-simd' | 'tfjs';

class LabEngine {
  private group!: ReplicaGroup;
  readonly name: string;

  private constructor(
    readonly backend: string,
    readonly workers: number,
    private readonly order: Uint32Array,
    /** The tfjs backend it runs on ('tensorflow' for both native backends). */
    private readonly tfName: string,
    /** Seconds per step (cpu, a software GPU adapter): a few steps only, see --cpu-steps. */
    readonly slow: boolean,
    /**
     * wasm: 'kernel' runs the WebAssembly kernels as the trainer picks them (the relaxed-SIMD
     * build where the engine has it), 'kernel-simd' the SIMD128 build (MNIST_LAB_FMA=0), 'tfjs'
     * the tfjs step (MNIST_LAB_STEP=tfjs).
     */
    readonly stepKind: StepKind = 'kernel',
  ) {
    const kind = { kernel: kernelVariant() === 'fma' ? ' kernels FMA' : ' kernels', 'kernel-simd': ' kernels SIMD128', tfjs: ' tfjs step' }[
      stepKind
    ];
    this.name = `MNIST Lab ${backend}${backend === 'wasm' ? kind : ''} ×${workers}`;
  }

  static async start(
    backend: string,
    workers: number,
    data: LabData,
    order: Uint32Array,
    tfName = backend,
    slow = backend === 'cpu',
    stepKind: StepKind = 'kernel',
  ): Promise<LabEngine> {
    const e = new LabEngine(backend, workers, order, tfName, slow, stepKind);
    const config = SEED_CONFIG;
    const spec = specFromConfig(config, data.train.height, data.numClasses);
    const net = ConvNet.init(spec, config.training.seed);
    const initial = flattenValues(spec, net.values());
    net.dispose();
    await e.activate();
    // The replicas read MNIST_LAB_STEP when they are made (worker threads copy the environment),
    // and the coordinator reads MNIST_LAB_FMA when it starts them.
    const before = process.env.MNIST_LAB_STEP;
    const beforeFma = process.env.MNIST_LAB_FMA;
    if (stepKind === 'tfjs') process.env.MNIST_LAB_STEP = 'tfjs';
    if (stepKind === 'kernel-simd') process.env.MNIST_LAB_FMA = '0';
    try {
      e.group = await startReplicas({
        spec,
        initial,
        config,
        train: data.train,
        validation: data.validation,
        backend,
        workers,
        replicaScript: join(__dirname, 'replica-worker.js'),
      });
    } finally {
      if (before === undefined) delete process.env.MNIST_LAB_STEP;
      else process.env.MNIST_LAB_STEP = before;
      if (beforeFma === undefined) delete process.env.MNIST_LAB_FMA;
      else process.env.MNIST_LAB_FMA = beforeFma;
    }
    return e;
  }

  /** Makes this engine's backend current on this thread (where a 1-replica group computes). */
  async activate(): Promise<void> {
    // `--backend cpu` runs TensorFlow.js's stock gradients; the wasm provider installs its own.
    if (this.backend === 'cpu') restoreStockGradients();
    else installFastGradients();
    if (!(await tf.setBackend(this.tfName)) || tf.getBackend() !== this.tfName) throw new Error(`cannot switch to ${this.backend}`);
  }

  /** One training step as the trainer does it: gather, dropout mask, forward, loss, backward, update. */
  async step(b: number): Promise<number> {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const { loss } = await this.group.step(this.order.subarray(b * BATCH, (b + 1) * BATCH), b);
    const c = process.cpuUsage(c0);
    this.lastCpu = (c.user + c.system) / 1000;
    if (!Number.isFinite(loss)) throw new Error(`${this.name}: loss is ${loss} at batch ${b}`);
    return performance.now() - t0;
  }

  /** CPU milliseconds of the last step, every thread of this process (the replicas' too). */
  lastCpu = NaN;

  /** The trainer's validation pass over the whole validation split. */
  async validate(): Promise<{ ms: number; right: number }> {
    const t0 = performance.now();
    const right = await this.group.validate();
    return { ms: performance.now() - t0, right };
  }

  dispose(): Promise<void> {
    return this.group.dispose();
  }
}

// ---------------------------------------------------------------- reporting

/** The CPU's model name as lscpu reports it (os.cpus() may abbreviate it). */
function cpuModel(): string {
  const r = spawnSync('lscpu', [], { encoding: 'utf8' });
  const m = /^Model name:\s*(.+)$/m.exec(r.stdout ?? '');
  return m?.[1]?.trim() ?? cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
}

function machine(): string {
  const c = cpus();
  const avx2 = /\bavx2\b/.test(spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '') ? 'AVX2' : 'no AVX2';
  return `${cpuModel()} (${avx2}), ${c.length} cores, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, Node ${process.version}, TensorFlow.js ${tf.version.tfjs}`;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '–');

interface Row {
  name: string;
  steps: number[];
  /** CPU ms per step (all threads). */
  cpu: number[];
  valMs: number[];
  valNote?: string;
  /** Seconds per epoch measured directly (the notebook), not estimated from steps. */
  epoch?: number[];
}

/** The seed's epoch: ceil(60000/64) = 938 steps and a validation pass every 100 batches. */
function epochSeconds(r: Row, trainCount: number, evalEvery: number): number {
  if (r.epoch) return median(r.epoch);
  const batches = Math.ceil(trainCount / BATCH);
  const passes = Math.ceil(batches / evalEvery);
  return (batches * median(r.steps) + passes * median(r.valMs)) / 1000;
}

// ---------------------------------------------------------------- the interleaved benchmark

async function benchSteps(): Promise<void> {
  const rounds = int('rounds', 1);
  const steps = int('steps', 1);
  const warmup = int('warmup', 0);
  const cpuSteps = int('cpu-steps', 0);
  const valPasses = int('val-passes', 1);
  const wanted = (opts.backends ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const workers = opts.workers !== undefined ? int('workers', 1) : defaultWorkers();
  const t0 = performance.now();

  console.log('MNIST Lab benchmark: the seed ConvNet, batch 64, real MNIST training batches, SGD(0.001, 0.9), dropout 0.5');
  console.log(`machine: ${machine()}`);

  const data = loadLabData();
  const totalBatches = warmup + rounds * steps;
  const order = new Rng(12345).permutation(data.train.count).subarray(0, totalBatches * BATCH);
  const dir = mkdtempSync(join(tmpdir(), 'mnist-lab-bench-'));
  const batchesFile = join(dir, 'batches.u32');
  writeFileSync(batchesFile, new Uint8Array(order.buffer, order.byteOffset, order.byteLength)); // little-endian on x86/arm

  // MNIST Lab engines: every backend asked for that can be selected (by default the whole ladder:
  // the accelerated ones where installed, MNIST_LAB_BACKENDS_DIR included), with 1 replica and,
  // on wasm, with N data-parallel replicas (a GPU or native TensorFlow is one device).
  const engines: LabEngine[] = [];
  for (const name of wanted) {
    try {
      const active = await selectBackend(name);
      console.log(`MNIST Lab ${active.name}: ${active.device}`);
      const slow = active.name === 'cpu' || /software|llvmpipe|lavapipe|swiftshader/i.test(active.device);
      for (const w of active.name === 'wasm' ? [...new Set([1, workers])] : [1])
        engines.push(await LabEngine.start(active.name, w, data, order, tf.getBackend(), slow));
      // The SIMD128 build beside the relaxed-SIMD one (what fused multiply-add gains), and the
      // tfjs step (what the kernels replace), with the replicas of the default.
      if (active.name === 'wasm' && kernelVariant() === 'fma')
        engines.push(await LabEngine.start(active.name, workers, data, order, tf.getBackend(), slow, 'kernel-simd'));
      if (active.name === 'wasm' && !opts['no-tfjs-step'])
        engines.push(await LabEngine.start(active.name, workers, data, order, tf.getBackend(), slow, 'tfjs'));
    } catch (e) {
      console.log(`MNIST Lab ${name}: not available (${(e as Error).message})`);
    }
  }

  // PyTorch, on 1 thread and on all cores.
  const cores = cpus().length;
  let torch: TorchServer | null = null;
  let torchAll: TorchServer | null = null;
  let notebookRuns = 0;
  if (opts['no-torch']) console.log('PyTorch: skipped (--no-torch); MNIST Lab numbers only');
  else {
    const { info, why } = probeTorch(opts.python!);
    if (!info) console.log(`PyTorch: not available: ${why}; MNIST Lab numbers only`);
    else {
      console.log(
        `PyTorch ${info.torch} (${opts.python}): ${info.threads} thread, BLAS: ${info.blas} (${info.blasLibraries.join(', ') || 'no BLAS library mapped'})`,
      );
      torch = new TorchServer(opts.python!, batchesFile);
      await torch.read<{ ready: boolean }>();
      if (cores > 1) {
        torchAll = new TorchServer(opts.python!, batchesFile, cores);
        await torchAll.read<{ ready: boolean }>();
      }
      notebookRuns = int('notebook-runs', 0);
    }
  }

  const rows = new Map<string, Row>();
  for (const e of engines) rows.set(e.name, { name: e.name, steps: [], cpu: [], valMs: [] });
  const torchRow: Row = { name: 'PyTorch 1 thread', steps: [], cpu: [], valMs: [] };
  const torchAllRow: Row = { name: `PyTorch ${cores} threads`, steps: [], cpu: [], valMs: [] };
  const notebookRow: Row = { name: 'PyTorch notebook code (DataLoaders, 1 thread)', steps: [], cpu: [], valMs: [], epoch: [] };
  const batchesPerEpoch = Math.ceil(data.train.count / BATCH);

  try {
    // Warm-up: the first steps compile/allocate; not measured. cpu: one step only.
    for (const e of engines) {
      await e.activate();
      const n = e.slow ? Math.min(1, cpuSteps) : warmup;
      for (let b = 0; b < n; b++) await e.step(b);
    }
    if (torch) await torch.request(`train 0 ${warmup}`);
    if (torchAll) await torchAll.request(`train 0 ${warmup}`);
    process.stdout.write(`rounds (${rounds} × ${steps} steps each, interleaved): `);

    for (let r = 0; r < rounds; r++) {
      const start = warmup + r * steps;
      for (const e of engines) {
        await e.activate();
        const row = rows.get(e.name)!;
        if (e.slow) {
          // Seconds per step: a couple of steps spread over the first rounds, one validation pass
          // estimated from 1000 images.
          if (row.steps.length < cpuSteps) row.steps.push(await e.step(start));
          if (r === 0 && cpuSteps > 0) row.valMs.push((await e.validate()).ms);
          continue;
        }
        for (let b = start; b < start + steps; b++) {
          row.steps.push(await e.step(b));
          row.cpu.push(e.lastCpu);
        }
        if (r < valPasses) row.valMs.push((await e.validate()).ms);
      }
      for (const [server, row] of [
        [torch, torchRow],
        [torchAll, torchAllRow],
      ] as const) {
        if (!server) continue;
        const t = await server.request<{ ms: number[]; cpu: number[] }>(`train ${start} ${steps}`);
        row.steps.push(...t.ms);
        row.cpu.push(...t.cpu);
        if (r < valPasses) row.valMs.push((await server.request<{ ms: number }>('val')).ms);
      }
      if (r < notebookRuns) {
        // 100 steps of the notebook's loop: one validation pass (at batch 0) per 100 batches, the
        // seed's rate; seconds × batches/100 is then its epoch.
        const nb = spawnSync(
          opts.python!,
          [NOTEBOOK_PY, '--threads', '1', '--epochs', '1', '--max-steps', '100', '--seed', String(SEED_CONFIG.training.seed)],
          { env: torchEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 },
        );
        try {
          const out = JSON.parse(nb.stdout.trim().split('\n').pop()!) as { seconds: number; steps: number };
          notebookRow.epoch!.push((out.seconds * batchesPerEpoch) / out.steps);
          notebookRow.steps.push((out.seconds * 1000) / out.steps);
        } catch {
          notebookRuns = 0;
          console.log(
            `\nthe notebook code did not run (exit ${nb.status}; it needs torchvision: apt-get install python3-torchvision); its row is left out`,
          );
        }
      }
      process.stdout.write(`${r + 1} `);
    }
    process.stdout.write('\n\n');
  } finally {
    torch?.close();
    torchAll?.close();
    for (const e of engines) await e.dispose();
    rmSync(dir, { recursive: true, force: true });
  }

  const all = [...rows.values()].filter((r) => r.steps.length);
  if (torch) all.push(torchRow);
  if (torchAll) all.push(torchAllRow);
  if (notebookRow.steps.length) all.push(notebookRow);
  const evalEvery = SEED_CONFIG.training.evalEvery;
  const torchStep = torch ? median(torchRow.steps) : NaN;
  const torchEpoch = torch ? epochSeconds(torchRow, data.train.count, evalEvery) : NaN;
  // The goal of issue 17 is measured against the faster of PyTorch on 1 thread and on all cores.
  const bestEpoch = Math.min(torchEpoch, torchAll ? epochSeconds(torchAllRow, data.train.count, evalEvery) : Infinity);
  const bestStep = Math.min(torchStep, torchAll ? median(torchAllRow.steps) : Infinity);
  const head = [
    'engine',
    'steps',
    'ms/step median',
    'p90',
    'CPU ms/step',
    'val pass ms',
    's/epoch (est.)',
    '× PyTorch 1t step',
    '× PyTorch 1t epoch',
    '× faster PyTorch epoch',
  ];
  const body = all.map((r) => {
    const ep = epochSeconds(r, data.train.count, evalEvery);
    return [
      r.name,
      String(r.steps.length),
      f(median(r.steps)),
      r.epoch ? '–' : f(quantile(r.steps, 0.9)),
      r.cpu.length ? f(median(r.cpu), 2) : '–',
      r.epoch ? '(in the steps)' : `${f(median(r.valMs), 0)}${r.valNote ? ` (${r.valNote})` : ''}`,
      f(ep),
      f(median(r.steps) / torchStep, 2),
      f(ep / torchEpoch, 2),
      f(ep / bestEpoch, 2),
    ];
  });
  console.log(table(head, body));
  console.log(
    `\ns/epoch = ${batchesPerEpoch} steps × median + ${Math.ceil(batchesPerEpoch / evalEvery)} validation passes (5000 images each; ` +
      `MNIST Lab in batches of its shard size (kernels) or 1000 (tfjs), PyTorch as the seed: batches of 64). PyTorch steps index in-memory tensors (no DataLoader); ` +
      `the notebook row is 100 steps of the seed's own loop with its DataLoaders and one validation pass, × ${batchesPerEpoch / 100}. ` +
      `CPU ms/step: every thread of the process (process.cpuUsage, time.process_time); less sensitive to other processes' load than wall time.`,
  );
  if (torch)
    console.log(`faster PyTorch: ${f(bestStep, 2)} ms/step, ${f(bestEpoch)} s/epoch; the goal (≤ 0.5×): ≤ ${f(bestEpoch / 2)} s/epoch`);
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (!torch) console.log('PyTorch not measured: ratios are not available.');
  console.log(`benchmark took ${f((performance.now() - t0) / 1000)} s`);
}

// ---------------------------------------------------------------- --full: the whole seed job

async function benchFull(): Promise<void> {
  const epochs = int('epochs', 1);
  const maxSteps = opts['max-steps'] !== undefined ? int('max-steps', 1) : undefined;
  console.log(
    `MNIST Lab vs PyTorch, the seed's whole job: ${epochs} epochs${maxSteps ? ` (at most ${maxSteps} steps)` : ''}, seed settings`,
  );
  console.log(`machine: ${machine()}`);
  const config: LabConfig = { ...SEED_CONFIG, training: { ...SEED_CONFIG.training, epochs } };
  const data = loadLabData();
  const active = await selectBackend(opts.backend);
  console.log(`MNIST Lab backend: ${active.name} (${active.device})`);
  const net = ConvNet.init(specFromConfig(config, data.train.height, data.numClasses), config.training.seed);
  let lab: { seconds: number; steps: number; val: number; test: number; workers: number };
  try {
    const result = await train({
      config,
      data,
      net,
      maxSteps,
      workers: opts.workers !== undefined ? int('workers', 1) : defaultWorkers(),
      backend: active.name,
      replicaScript: join(__dirname, 'replica-worker.js'),
      onProgress: (e) =>
        process.stderr.write(
          `  MNIST Lab epoch ${e.epoch} batch ${e.batch}: validation ${(100 * e.valAccuracy).toFixed(2)}% (${e.seconds.toFixed(0)} s)\n`,
        ),
    });
    lab = {
      seconds: result.seconds,
      steps: result.steps,
      val: result.valAccuracy,
      test: evaluate(net, data.test).accuracy,
      workers: result.workers,
    };
  } finally {
    net.dispose();
  }

  let py: { seconds: number; steps: number; valAccuracy: number; testAccuracy: number } | null = null;
  const { info, why } = opts['no-torch'] ? { info: undefined, why: '--no-torch' } : probeTorch(opts.python!);
  if (!info) console.log(`PyTorch: not available: ${why}; MNIST Lab numbers only`);
  else {
    console.log(`PyTorch ${info.torch}: ${info.threads} thread, BLAS: ${info.blas}`);
    const args = [NOTEBOOK_PY, '--threads', '1', '--epochs', String(epochs), '--seed', String(config.training.seed)];
    if (maxSteps) args.push('--max-steps', String(maxSteps));
    const r = spawnSync(opts.python!, args, {
      env: torchEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) console.log(`PyTorch run failed (exit ${r.status})`);
    else py = JSON.parse(r.stdout.trim().split('\n').pop()!);
  }
  const rows = [
    [
      `MNIST Lab ${active.name} ×${lab.workers}`,
      String(lab.steps),
      f(lab.seconds),
      f(100 * lab.val, 2),
      f(100 * lab.test, 2),
      f(py ? lab.seconds / py.seconds : NaN, 2),
    ],
  ];
  if (py)
    rows.push([
      'PyTorch (the seed notebook)',
      String(py.steps),
      f(py.seconds),
      f(100 * py.valAccuracy, 2),
      f(100 * py.testAccuracy, 2),
      '1.00',
    ]);
  console.log(`\n${table(['engine', 'steps', 'train s (with validation)', 'val %', 'test %', '× PyTorch time'], rows)}`);
}

// ---------------------------------------------------------------- --lag: the extension host while training

/** The extension's default of mnistLab.workers, read from package.json (what a user gets). */
function extensionDefaultWorkers(): number {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
  };
  const v = pkg.contributes.configuration.properties['mnistLab.workers']?.default;
  return typeof v === 'number' ? v : 1;
}

interface LagWindow {
  name: string;
  total: LagStats;
  notFree: LagStats;
  waitedS: number;
  seconds: number;
  steps?: number;
}

async function lagWindow(name: string, seconds: number): Promise<LagWindow> {
  const m = new LagMonitor(10);
  const t = performance.now();
  m.start();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  m.stop();
  return { name, total: m.total, notFree: m.notFree, waitedS: m.waitedForCpuMs / 1000, seconds: (performance.now() - t) / 1000 };
}

async function benchLag(): Promise<void> {
  const seconds = int('lag-seconds', 1);
  const script = join(__dirname, 'worker.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build`);
  const byDefault = extensionDefaultWorkers();
  console.log(`The extension host's event-loop lag while training (timer ticks of 10 ms, windows of ${seconds} s)`);
  console.log(`machine: ${machine()}`);
  console.log(
    `this process plays the extension host: the extension's TrainingController starts dist/worker.js (every thread at nice ${WORKER_PRIORITY}) and receives its events`,
  );
  const windows: LagWindow[] = [await lagWindow('idle (baseline)', seconds)];
  const cases: [string, number][] = [[`training, the extension's default workers (mnistLab.workers = ${byDefault})`, byDefault]];
  if (availableParallelism() > 1) cases.push([`training, one replica per core (mnistLab.workers = 0: ${defaultWorkers()})`, 0]);
  for (const [name, workers] of cases) {
    const outDir = mkdtempSync(join(tmpdir(), 'mnist-lab-lag-'));
    const ctl = new TrainingController(() => ({ script, env: { MNIST_LAB_WASM_DIR: __dirname } }));
    let step = 0;
    let first!: () => void;
    const started = new Promise<void>((r) => (first = r));
    const config: LabConfig = { ...SEED_CONFIG, training: { ...SEED_CONFIG.training, epochs: 100 } };
    const run = ctl.train(
      { config, outDir, backend: opts.backend!, workers },
      {
        onStep: (s) => {
          step = s;
          first();
        },
      },
    );
    run.catch(() => first());
    try {
      await started;
      // The first steps compile and warm up; measure from a second on.
      await new Promise((r) => setTimeout(r, 1000));
      const from = step;
      const w = await lagWindow(name, seconds);
      w.steps = step - from;
      windows.push(w);
      await ctl.stop();
      const summary = await run;
      if (summary.status !== 'cancelled') console.log(`  (the run ended ${summary.status}${summary.error ? `: ${summary.error}` : ''})`);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }
  const rows = windows.map((w) => [
    w.name,
    String(w.total.ticks),
    f(w.total.p50),
    f(w.total.p99),
    f(w.total.max),
    f(w.waitedS, 2),
    f(w.notFree.p99),
    w.steps === undefined ? '–' : f((1000 * w.seconds) / Math.max(1, w.steps), 1),
  ]);
  console.log(
    `\n${table(['window', 'ticks', 'lag p50 ms', 'p99 ms (raw)', 'max ms', 'waited for a CPU s', 'p99 ms less the wait', 'ms/step'], rows)}`,
  );
  console.log(
    '\nlag = how much later than due each 10 ms timer tick ran, waiting for a CPU included (raw); "less the wait" subtracts the time this thread waited on a run queue (/proc/thread-self/schedstat). The bound (issue 17): raw p99 < 50 ms.',
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

async function main(): Promise<void> {
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (opts.lag) await benchLag();
  else if (opts.full) await benchFull();
  else await benchSteps();
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
