import { dirname, isAbsolute, resolve } from 'node:path';
import { LabError, errorMessage } from './errors';
import { hasOwn, readUntrustedTextSync } from './files/untrusted';

/**
 * Random transforms of each training image (src/core/train/augment.ts): a rotation by up to
 * `rotate` degrees, a shift by up to `shift` whole pixels per axis, Gaussian noise of σ `noise`.
 */
export interface Augment {
  shift: number;
  rotate: number;
  noise: number;
}

/** The lab's "model file": the network and the hyperparameters. Defaults are the seed's. */
export interface LabConfig {
  name: string;
  model: {
    /** Output channels of conv1 and conv2 (the seed's `depth = [4, 8]`). */
    depth: [number, number];
    /** Square kernel size of both convolutions, odd, with "same" padding (kernelSize-1)/2. */
    kernelSize: number;
    /** Width of fc1. */
    hidden: number;
    /** Dropout probability after fc1, during training only. */
    dropout: number;
  };
  training: {
    epochs: number;
    batchSize: number;
    learningRate: number;
    momentum: number;
    /** Seeds the weight initialisation, the shuffles, the dropout masks and the augmentation. */
    seed: number;
    /** Validate on the whole validation split every this many batches (the seed: 100). */
    evalEvery: number;
    /**
     * Augmentation of the training batches; absent or null = none (the seed). Absent from a
     * config without it, so such a config, and its run's records, stay exactly as before.
     */
    augment?: Augment | null;
    /** torch.optim's SGD (the seed's), Adam or AdamW. */
    optimizer: OptimizerName;
    /** SGD only: Nesterov momentum (needs momentum > 0). */
    nesterov: boolean;
    /** L2 penalty (SGD, Adam) or decoupled decay (AdamW); null = torch.optim's default (0; AdamW 0.01). */
    weightDecay: number | null;
    /** Adam/AdamW's coefficients of the running averages of the gradient and its square. */
    betas: [number, number];
    /** Adam/AdamW's term added to the denominator. */
    eps: number;
    /** How the learning rate changes during training (torch.optim.lr_scheduler). */
    schedule: ScheduleConfig;
  };
  data: {
    /** A directory of MNIST-layout IDX files; null = the embedded MNIST. Relative to the config file. */
    dir: string | null;
    /** Names of the classes, index = label; null = the digits "0".."9". */
    classNames: string[] | null;
  };
}

export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];
export const SCHEDULES = ['none', 'step', 'cosine', 'one-cycle'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/**
 * A learning-rate schedule, with torch.optim.lr_scheduler's parameters (camelCase). `step` and
 * `cosine` step once per epoch (StepLR, CosineAnnealingLR as PyTorch users call them, after each
 * epoch), `one-cycle` once per batch (OneCycleLR over epochs × batches per epoch).
 */
export interface ScheduleConfig {
  type: ScheduleName;
  /** StepLR's step_size: epochs between two decays (required by `step`). */
  stepSize: number | null;
  /** StepLR's gamma: the factor of each decay. */
  gamma: number;
  /** CosineAnnealingLR's T_max in epochs; null = training.epochs. */
  tMax: number | null;
  /** CosineAnnealingLR's eta_min. */
  etaMin: number;
  /** OneCycleLR's max_lr; null = training.learningRate. */
  maxLr: number | null;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  divFactor: number;
  finalDivFactor: number;
  /** OneCycleLR's cycle_momentum: SGD's momentum (Adam's beta1) goes maxMomentum → baseMomentum → maxMomentum. */
  cycleMomentum: boolean;
  baseMomentum: number;
  maxMomentum: number;
}

export const SEED_CONFIG: LabConfig = {
  name: 'seed',
  model: { depth: [4, 8], kernelSize: 5, hidden: 512, dropout: 0.5 },
  training: {
    epochs: 20,
    batchSize: 64,
    learningRate: 0.001,
    momentum: 0.9,
    seed: 1,
    evalEvery: 100,
    optimizer: 'sgd',
    nesterov: false,
    weightDecay: null,
    betas: [0.9, 0.999],
    eps: 1e-8,
    schedule: {
      type: 'none',
      stepSize: null,
      gamma: 0.1,
      tMax: null,
      etaMin: 0,
      maxLr: null,
      pctStart: 0.3,
      annealStrategy: 'cos',
      divFactor: 25,
      finalDivFactor: 1e4,
      cycleMomentum: true,
      baseMomentum: 0.85,
      maxMomentum: 0.95,
    },
  },
  data: { dir: null, classNames: null },
};

type JsonSchema = Record<string, unknown>;

/** Bounds of the strings and arrays of a config (a 50 MB config once wrote 194 MB per run). */
export const CONFIG_LIMITS = {
  /** `name` and each class name, characters. */
  nameLength: 100,
  /** `data.classNames`: how many. */
  classes: 256,
  /** `data.dir` and `$schema`, characters. */
  pathLength: 4096,
  /** Problems listed in one error message; the rest are counted. */
  problems: 20,
  /** `grid`: the most runs (points) one config may ask for. */
  gridPoints: 64,
} as const;

/** Bounds of `training.augment` (a shift beyond 14 px leaves little of a 28×28 digit, as the sweep's range). */
export const AUGMENT_LIMITS = { shift: 14, rotate: 180, noise: 1 } as const;

const int = (description: string, def: number, min: number, max: number): JsonSchema => ({
  type: 'integer',
  description,
  default: def,
  minimum: min,
  maximum: max,
});

/** JSON Schema (draft-07) of a config file; `schema/mnist-lab.schema.json` is generated from it. */
export const CONFIG_SCHEMA: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://mnist-lab.invalid/schema/mnist-lab.schema.json',
  title: 'MNIST Lab config',
  description: "The network and hyperparameters of an MNIST Lab training run. Every field is optional; defaults are the original lab's.",
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', description: 'The schema of this file.', maxLength: CONFIG_LIMITS.pathLength },
    name: {
      type: 'string',
      description: 'A name for runs of this config.',
      default: SEED_CONFIG.name,
      minLength: 1,
      maxLength: CONFIG_LIMITS.nameLength,
    },
    model: {
      type: 'object',
      description:
        'The ConvNet: conv(1→depth[0]) ReLU pool, conv(depth[0]→depth[1]) ReLU pool, fc hidden ReLU dropout, fc classes, log-softmax.',
      additionalProperties: false,
      properties: {
        depth: {
          type: 'array',
          description: 'Output channels of conv1 and conv2 (the original lab: [4, 8]).',
          items: { type: 'integer', minimum: 1, maximum: 256 },
          minItems: 2,
          maxItems: 2,
          default: SEED_CONFIG.model.depth,
        },
        kernelSize: { ...int('Kernel size of both convolutions; odd, "same" padding (the original lab: 5).', 5, 1, 13) },
        hidden: int('Width of the hidden fully connected layer fc1 (the original lab: 512).', 512, 1, 8192),
        dropout: {
          type: 'number',
          description: 'Dropout probability after fc1, training only (the original lab: 0.5).',
          default: 0.5,
          minimum: 0,
          exclusiveMaximum: 1,
        },
      },
    },
    training: {
      type: 'object',
      description: "The training loop: an optimizer (the original lab's SGD with momentum) on cross-entropy, shuffled batches.",
      additionalProperties: false,
      properties: {
        epochs: int('Passes over the 60,000 training images (the original lab: 20).', 20, 1, 1000),
        batchSize: int('Images per SGD step (the original lab: 64).', 64, 1, 4096),
        learningRate: {
          type: 'number',
          description: 'SGD learning rate (the original lab: 0.001).',
          default: 0.001,
          exclusiveMinimum: 0,
          maximum: 10,
        },
        momentum: { type: 'number', description: 'SGD momentum (the original lab: 0.9).', default: 0.9, minimum: 0, exclusiveMaximum: 1 },
        seed: int('Seed of the weight initialisation, the shuffles and the dropout masks.', 1, 0, 2147483647),
        evalEvery: int(
          'Evaluate the validation split and record the error rates every this many batches (the original lab: 100).',
          100,
          1,
          100000,
        ),
        augment: {
          type: ['object', 'null'],
          description:
            "Random transforms of each training image, drawn from training.seed: rotation, then shift, then noise (the robustness sweep's transforms). Absent or null = none (the original lab).",
          additionalProperties: false,
          properties: {
            shift: int(
              "Shift by whole pixels, dx and dy each uniform in −shift..shift, zeros filling in (the sweep's shift); 0 = none.",
              0,
              0,
              AUGMENT_LIMITS.shift,
            ),
            rotate: {
              type: 'number',
              description:
                "Rotation by an angle uniform in [−rotate, rotate] degrees about the centre, bilinear (the sweep's rotation); 0 = none.",
              default: 0,
              minimum: 0,
              maximum: AUGMENT_LIMITS.rotate,
            },
            noise: {
              type: 'number',
              description:
                "σ of Gaussian noise added to every pixel (pixels in [0, 1]), then clipped to [0, 1] (the sweep's noise); 0 = none.",
              default: 0,
              minimum: 0,
              maximum: AUGMENT_LIMITS.noise,
            },
          },
        },
        optimizer: {
          type: 'string',
          description: "torch.optim's SGD (the original lab's, with momentum), Adam or AdamW.",
          enum: [...OPTIMIZERS],
          default: 'sgd',
        },
        nesterov: { type: 'boolean', description: 'SGD only: Nesterov momentum (needs momentum > 0).', default: false },
        weightDecay: {
          type: ['number', 'null'],
          description:
            "Weight decay: an L2 penalty added to the gradient (SGD, Adam) or AdamW's decoupled decay; null = torch.optim's default (0; AdamW: 0.01).",
          default: null,
          minimum: 0,
          maximum: 10,
        },
        betas: {
          type: 'array',
          description: "Adam/AdamW's betas: decay rates of the running averages of the gradient and of its square.",
          items: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
          minItems: 2,
          maxItems: 2,
          default: SEED_CONFIG.training.betas,
        },
        eps: { type: 'number', description: "Adam/AdamW's eps, added to the denominator.", default: 1e-8, minimum: 0, maximum: 1 },
        schedule: {
          type: 'object',
          description:
            'Learning-rate schedule, as torch.optim.lr_scheduler: "step" (StepLR) and "cosine" (CosineAnnealingLR) change it once per epoch, "one-cycle" (OneCycleLR) once per batch.',
          additionalProperties: false,
          default: SEED_CONFIG.training.schedule,
          properties: {
            type: {
              type: 'string',
              description: "none (the original lab's: constant), step, cosine or one-cycle.",
              enum: [...SCHEDULES],
              default: 'none',
            },
            stepSize: {
              type: ['integer', 'null'],
              description: 'step: epochs between two decays (StepLR step_size); required by "step".',
              default: null,
              minimum: 1,
              maximum: 1000,
            },
            gamma: {
              type: 'number',
              description: 'step: factor of each decay (StepLR gamma).',
              default: 0.1,
              exclusiveMinimum: 0,
              maximum: 1,
            },
            tMax: {
              type: ['integer', 'null'],
              description: 'cosine: epochs of the half cosine (CosineAnnealingLR T_max); null = training.epochs.',
              default: null,
              minimum: 1,
              maximum: 1000,
            },
            etaMin: {
              type: 'number',
              description: 'cosine: the lowest learning rate (CosineAnnealingLR eta_min).',
              default: 0,
              minimum: 0,
              maximum: 10,
            },
            maxLr: {
              type: ['number', 'null'],
              description: 'one-cycle: the peak learning rate (OneCycleLR max_lr); null = training.learningRate.',
              default: null,
              exclusiveMinimum: 0,
              maximum: 10,
            },
            pctStart: {
              type: 'number',
              description: 'one-cycle: fraction of the steps spent raising the learning rate (pct_start).',
              default: 0.3,
              minimum: 0,
              maximum: 1,
            },
            annealStrategy: {
              type: 'string',
              description: 'one-cycle: "cos" or "linear" (anneal_strategy).',
              enum: ['cos', 'linear'],
              default: 'cos',
            },
            divFactor: {
              type: 'number',
              description: 'one-cycle: the first learning rate is maxLr / divFactor (div_factor).',
              default: 25,
              exclusiveMinimum: 0,
              maximum: 1e9,
            },
            finalDivFactor: {
              type: 'number',
              description: 'one-cycle: the last learning rate is maxLr / divFactor / finalDivFactor (final_div_factor).',
              default: 1e4,
              exclusiveMinimum: 0,
              maximum: 1e12,
            },
            cycleMomentum: {
              type: 'boolean',
              description:
                "one-cycle: cycle SGD's momentum (Adam's beta1) inversely to the learning rate, replacing training.momentum (cycle_momentum).",
              default: true,
            },
            baseMomentum: {
              type: 'number',
              description: 'one-cycle: the lowest momentum (base_momentum).',
              default: 0.85,
              minimum: 0,
              exclusiveMaximum: 1,
            },
            maxMomentum: {
              type: 'number',
              description: 'one-cycle: the highest momentum (max_momentum).',
              default: 0.95,
              minimum: 0,
              exclusiveMaximum: 1,
            },
          },
        },
      },
    },
    data: {
      type: 'object',
      description: 'Where the images come from.',
      additionalProperties: false,
      properties: {
        dir: {
          type: ['string', 'null'],
          description:
            'A directory of MNIST-layout IDX files (train-images-idx3-ubyte[.gz], …), relative to this file; null = the embedded MNIST.',
          maxLength: CONFIG_LIMITS.pathLength,
          default: null,
        },
        classNames: {
          type: ['array', 'null'],
          description: "Class names, index = label (e.g. Fashion-MNIST's); null = the digits 0–9.",
          items: { type: 'string', maxLength: CONFIG_LIMITS.nameLength },
          minItems: 2,
          maxItems: CONFIG_LIMITS.classes,
          default: null,
        },
      },
    },
  },
};

/**
 * The config's leaves as dotted paths (`training.learningRate`, `model.depth`, …), from the
 * schema itself: a field added to CONFIG_SCHEMA can be a grid key without another list to keep.
 */
function leafPaths(schema: JsonSchema, prefix = ''): { path: string; schema: JsonSchema }[] {
  const out: { path: string; schema: JsonSchema }[] = [];
  for (const [k, sub] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    if (!prefix && (k === '$schema' || k === 'grid')) continue;
    const path = prefix ? `${prefix}.${k}` : k;
    if (sub.properties) out.push(...leafPaths(sub, path));
    else out.push({ path, schema: sub });
  }
  return out;
}

/**
 * `grid`: for each key (a dotted path of a config field) the values to train with; every
 * combination is one run. Each value is checked by the field's own schema.
 */
function gridSchema(schema: JsonSchema): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const leaf of leafPaths(schema)) {
    const { default: _default, ...items } = leaf.schema;
    properties[leaf.path] = {
      type: 'array',
      description: `Values of ${leaf.path}, one run each (with every combination of the other keys).`,
      minItems: 1,
      maxItems: CONFIG_LIMITS.gridPoints,
      items,
    };
  }
  return {
    type: 'object',
    description: `A hyperparameter grid: "training.learningRate": [0.001, 0.01] trains one run per value (per combination with the other keys; at most ${CONFIG_LIMITS.gridPoints} runs). The rest of the file is what the runs share.`,
    additionalProperties: false,
    properties,
  };
}
(CONFIG_SCHEMA.properties as Record<string, JsonSchema>).grid = gridSchema(CONFIG_SCHEMA);

/** The paths a grid may vary: every leaf of the config. */
export const GRID_PATHS: readonly string[] = Object.keys(
  (CONFIG_SCHEMA.properties as Record<string, JsonSchema>).grid!.properties as object,
);

/** A grid as written: keys in the file's order, each with its values. */
export interface GridSpec {
  keys: string[];
  values: unknown[][];
}

/** One combination of a grid: its values (key → value) and the whole config it trains. */
export interface GridPoint {
  /** 0-based, in the grid's order: the first key varies slowest. */
  index: number;
  values: Record<string, unknown>;
  config: LabConfig;
}

/** How many runs a grid makes. */
export function gridSize(grid: GridSpec): number {
  return grid.values.reduce((n, v) => n * v.length, 1);
}

/** `config` with the value at the dotted `path` replaced (a fresh copy; missing sections are made). */
function withValue(config: LabConfig, path: string, value: unknown): LabConfig {
  const out = structuredClone(config) as unknown as Record<string, unknown>;
  const parts = path.split('.');
  let o = out;
  for (const p of parts.slice(0, -1)) {
    const next = o[p];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts.at(-1)!] = Array.isArray(value) ? Array.from(value) : value;
  return out as unknown as LabConfig;
}

/** Every combination of the grid on top of `base`, the first key varying slowest (as itertools.product). */
export function expandGrid(base: LabConfig, grid: GridSpec): GridPoint[] {
  const points: GridPoint[] = [];
  const n = gridSize(grid);
  for (let index = 0; index < n; index++) {
    let config = base;
    const values: Record<string, unknown> = {};
    let rest = index;
    for (let k = grid.keys.length - 1; k >= 0; k--) {
      const list = grid.values[k]!;
      const v = list[rest % list.length];
      rest = Math.floor(rest / list.length);
      values[grid.keys[k]!] = v;
    }
    const ordered: Record<string, unknown> = {};
    for (const key of grid.keys) {
      ordered[key] = values[key];
      config = withValue(config, key, values[key]);
    }
    points.push({ index, values: ordered, config });
  }
  return points;
}

/** A grid key in a JSON path: `grid["training.learningRate"]`. */
export function gridKeyPath(key: string): string {
  return `grid[${JSON.stringify(key)}]`;
}

/** What the schema cannot say of a grid: how many runs it makes, and each run's config as a whole. */
function checkGrid(base: LabConfig, grid: GridSpec, out: ConfigProblem[]): void {
  const n = gridSize(grid);
  if (n > CONFIG_LIMITS.gridPoints) {
    out.push({
      path: 'grid',
      message: `makes ${n} runs (${grid.values.map((v) => v.length).join(' × ')}), more than the ${CONFIG_LIMITS.gridPoints} allowed`,
    });
    return;
  }
  const seen = new Set<string>();
  for (const point of expandGrid(base, grid)) {
    const problems: ConfigProblem[] = [];
    checkSemantics(point.config, problems);
    for (const p of problems) {
      const key = grid.keys.find((k) => p.path === k || p.path.startsWith(`${k}.`) || p.path.startsWith(`${k}[`));
      const path = key === undefined ? p.path : gridKeyPath(key);
      const at = Object.entries(point.values)
        .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
        .join(', ');
      const message = key === undefined ? `${p.message} (in the grid's run with ${at})` : p.message;
      if (seen.has(`${path}\0${message}`)) continue;
      seen.add(`${path}\0${message}`);
      out.push({ path, message });
    }
  }
}

export interface ConfigProblem {
  /** JSON path of the offending value, e.g. `model.depth[1]`. */
  path: string;
  message: string;
}

/** The JSON type of a value; anything JSON cannot hold (NaN, Infinity, a Map, a function, …) is named as such. */
function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return `non-finite number ${String(v)}`;
    return Number.isInteger(v) ? 'integer' : 'number';
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as unknown;
    return proto === Object.prototype || proto === null ? 'object' : 'non-JSON object';
  }
  return typeof v;
}

function typeMatches(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

/** A field name as shown in a message: at most 40 characters. */
const bounded = (k: string): string => (k.length > 40 ? `${k.slice(0, 40)}…` : k);

/** A field name as shown in a message: bounded, control characters escaped. */
function fieldName(k: string): string {
  const shown = bounded(k);
  return /^[\w$]+$/.test(shown) ? shown : JSON.stringify(shown);
}

/** Checks a value against the subset of JSON Schema that CONFIG_SCHEMA uses. */
function checkSchema(value: unknown, schema: JsonSchema, path: string, out: ConfigProblem[]): void {
  const types = schema.type === undefined ? undefined : ([] as string[]).concat(schema.type as string | string[]);
  if (types && !types.some((t) => typeMatches(value, t))) {
    out.push({
      path,
      message: `must be ${types.join(' or ')}, got ${typeOf(value)}${typeof value === 'number' && Number.isFinite(value) ? ` ${value}` : ''}`,
    });
    return;
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      out.push({ path, message: `must be ≥ ${schema.minimum}, got ${value}` });
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      out.push({ path, message: `must be ≤ ${schema.maximum}, got ${value}` });
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
      out.push({ path, message: `must be > ${schema.exclusiveMinimum}, got ${value}` });
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum)
      out.push({ path, message: `must be < ${schema.exclusiveMaximum}, got ${value}` });
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value) && typeOf(value) === 'string') {
    const shown = (value as string).length > 40 ? `${(value as string).slice(0, 40)}…` : (value as string);
    out.push({ path, message: `must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(shown)}` });
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) out.push({ path, message: `must not be empty` });
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      out.push({ path, message: `must be at most ${schema.maxLength} characters, got ${value.length}` });
    if (value.includes('\0')) out.push({ path, message: 'must not contain a NUL character' });
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      out.push({ path, message: `must have at least ${schema.minItems} items, got ${value.length}` });
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
      // 10,000 class names: one problem, not 10,000 checks of each.
      out.push({ path, message: `must have at most ${schema.maxItems} items, got ${value.length}` });
      return;
    }
    if (schema.items) {
      for (let i = 0; i < value.length; i++) {
        checkSchema(hasOwn(value, i) ? value[i] : undefined, schema.items as JsonSchema, `${path}[${i}]`, out);
      }
    }
  }
  if (typeOf(value) === 'object' && schema.properties) {
    const props = schema.properties as Record<string, JsonSchema>;
    // Own keys only: `{"toString": 1}` is an unknown field, not Object.prototype.toString; a
    // `__proto__` key (JSON.parse makes it an own property) is an unknown field too.
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      // A grid key (`training.learningRate`) is one property: `grid["training.learningRate"]`.
      const sub = !/^[\w$]+$/.test(k) ? `${path}[${JSON.stringify(k)}]` : path ? `${path}.${k}` : k;
      if (!hasOwn(props, k)) {
        if (schema.additionalProperties === false) {
          out.push({
            // A dotted name (a grid key) in brackets, as the known ones: `grid["training.lr"]`.
            path: k.includes('.') ? `${path}[${JSON.stringify(bounded(k))}]` : path ? `${path}.${fieldName(k)}` : fieldName(k),
            message: `unknown field (allowed: ${Object.keys(props)
              .filter((p) => p !== '$schema')
              .join(', ')})`,
          });
        }
        continue;
      }
      checkSchema(v, props[k]!, sub, out);
    }
  }
}

/** Rules the schema cannot express. */
function checkSemantics(cfg: LabConfig, out: ConfigProblem[]): void {
  if (cfg.model.kernelSize % 2 === 0) {
    out.push({ path: 'model.kernelSize', message: `must be odd for "same" padding, got ${cfg.model.kernelSize}` });
  }
  const t = cfg.training;
  if (t.nesterov && t.optimizer !== 'sgd') {
    out.push({ path: 'training.nesterov', message: `Nesterov momentum is SGD's; optimizer "${t.optimizer}" has none (set it false)` });
  } else if (t.nesterov && t.momentum === 0) {
    out.push({ path: 'training.nesterov', message: 'Nesterov momentum needs training.momentum > 0 (as torch.optim.SGD)' });
  }
  if (t.schedule.type === 'step' && t.schedule.stepSize === null) {
    out.push({
      path: 'training.schedule',
      message: 'the "step" schedule needs stepSize: the epochs between two decays (StepLR step_size)',
    });
  }
  if (cfg.data.classNames && new Set(cfg.data.classNames).size !== cfg.data.classNames.length) {
    out.push({ path: 'data.classNames', message: 'must not repeat a name' });
  }
}

/** Validates parsed JSON and fills defaults. Returns the config and every problem found. */
export function checkConfig(raw: unknown): { config: LabConfig; problems: ConfigProblem[]; grid: GridSpec | null } {
  const problems: ConfigProblem[] = [];
  if (typeOf(raw) !== 'object') {
    problems.push({ path: '', message: `a config must be a JSON object, got ${typeOf(raw)}` });
    return { config: structuredClone(SEED_CONFIG), problems, grid: null };
  }
  checkSchema(raw, CONFIG_SCHEMA, '', problems);
  const r = raw as Record<string, unknown>;
  const field = (o: unknown, k: string): unknown =>
    typeOf(o) === 'object' && hasOwn(o as object, k) ? (o as Record<string, unknown>)[k] : undefined;
  // A fresh object holding only the schema's own keys, each value copied (arrays too): nothing of
  // the file's objects (a `__proto__` key, an inherited field, a shared array) reaches the config.
  const pick = <T extends object>(defaults: T, section: unknown): T => {
    const res = structuredClone(defaults) as Record<string, unknown>;
    for (const k of Object.keys(defaults)) {
      const v = field(section, k);
      if (v !== undefined) res[k] = Array.isArray(v) ? Array.from(v) : v;
    }
    return res as T;
  };
  const name = field(r, 'name');
  const config: LabConfig = {
    name: typeof name === 'string' ? name : SEED_CONFIG.name,
    model: pick(SEED_CONFIG.model, field(r, 'model')),
    training: {
      ...pick(SEED_CONFIG.training, field(r, 'training')),
      schedule: pick(SEED_CONFIG.training.schedule, field(field(r, 'training'), 'schedule')),
    },
    data: pick(SEED_CONFIG.data, field(r, 'data')),
  };
  // `training.augment` is not among the defaults (absent = none): copied field by field when given.
  const augment = field(field(r, 'training'), 'augment');
  if (augment === null) config.training.augment = null;
  else if (typeOf(augment) === 'object') {
    const num = (k: keyof Augment) => {
      const v = field(augment, k);
      return typeof v === 'number' ? v : 0;
    };
    config.training.augment = { shift: num('shift'), rotate: num('rotate'), noise: num('noise') };
  }
  const gridRaw = field(r, 'grid');
  const grid: GridSpec | null =
    typeOf(gridRaw) === 'object' && Object.keys(gridRaw as object).length
      ? {
          keys: Object.keys(gridRaw as object),
          values: Object.values(gridRaw as Record<string, unknown>).map((v) => (Array.isArray(v) ? Array.from(v) : [])),
        }
      : null;
  if (problems.length === 0) checkSemantics(config, problems);
  if (problems.length === 0 && grid) checkGrid(config, grid, problems);
  return { config, problems, grid };
}

function formatProblems(file: string, problems: ConfigProblem[]): string {
  const shown = problems.slice(0, CONFIG_LIMITS.problems).map((p) => `${file}: ${p.path || '(top level)'}: ${p.message}`);
  if (problems.length > shown.length) shown.push(`${file}: … and ${problems.length - shown.length} more problems`);
  return shown.join('\n');
}

/** Validates and fills defaults, or throws a LabError naming the file, the JSON path and the rule. */
export function parseConfig(raw: unknown, file = '<config>'): LabConfig {
  return parseConfigWithGrid(raw, file).config;
}

/** parseConfig, and the file's grid (null without one): `config` is what every run of the grid shares. */
export function parseConfigWithGrid(raw: unknown, file = '<config>'): { config: LabConfig; grid: GridSpec | null } {
  const { config, problems, grid } = checkConfig(raw);
  if (problems.length) {
    throw new LabError(formatProblems(file, problems), { file, field: problems[0]!.path, code: 'invalid-config' });
  }
  return { config, grid };
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${col}`;
}

export function parseConfigText(text: string, file = '<config>'): LabConfig {
  return parseConfigTextWithGrid(text, file).config;
}

export function parseConfigTextWithGrid(text: string, file = '<config>'): { config: LabConfig; grid: GridSpec | null } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = errorMessage(e);
    const pos = /position (\d+)/.exec(msg);
    const where = pos ? ` at ${lineCol(text, Number(pos[1]))}` : '';
    throw new LabError(`${file}: not valid JSON${where}: ${msg}`, { file, code: 'invalid-config' });
  }
  return parseConfigWithGrid(raw, file);
}

/** Reads a config file; a relative `data.dir` is resolved against the file's folder. */
export function loadConfigFile(file: string): LabConfig {
  return loadConfigFileWithGrid(file).config;
}

/** A relative `data.dir` (written in the file, or a grid's value) made absolute against the file's folder. */
export function resolveDataDir(config: LabConfig, file: string): LabConfig {
  if (config.data.dir && !isAbsolute(config.data.dir)) config.data.dir = resolve(dirname(file), config.data.dir);
  return config;
}

/** loadConfigFile, and the file's grid (null without one). */
export function loadConfigFileWithGrid(file: string): { config: LabConfig; grid: GridSpec | null } {
  let text: string;
  try {
    // A regular file within FILE_LIMITS.config: a FIFO or /dev/zero named *.mnist.json is refused by name.
    text = readUntrustedTextSync(file, { kind: 'config' });
  } catch (e) {
    if (e instanceof LabError && e.code === 'not-found')
      throw new LabError(`${file}: cannot read config: file not found`, { file, code: 'not-found' });
    throw e;
  }
  const { config, grid } = parseConfigTextWithGrid(text, file);
  return { config: resolveDataDir(config, file), grid };
}
