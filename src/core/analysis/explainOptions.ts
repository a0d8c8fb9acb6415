/**
 * The choices of the explanation maps (src/core/analysis/explain.ts) and their bounds, without
 * TensorFlow.js: the analysis table (and so the webview) and the CLI import them too.
 */
export const EXPLAIN_METHODS = ['gradient', 'gradientTimesInput', 'smoothGrad', 'gradCam'] as const;
export type ExplainMethod = (typeof EXPLAIN_METHODS)[number];
/** Whose gradient: the class's logit (before the log-softmax; the default) or its log-probability. */
export const EXPLAIN_SCORES = ['logit', 'logProbability'] as const;
export type ExplainScore = (typeof EXPLAIN_SCORES)[number];

/** SmoothGrad's samples: at most this many (each is a forward and a backward pass of one image). */
export const MAX_SMOOTHGRAD_SAMPLES = 256;
/** SmoothGrad's σ as a fraction of the image's range (max − min): at most this. */
export const MAX_SMOOTHGRAD_SIGMA = 1;
/** Largest SmoothGrad seed. */
export const MAX_SMOOTHGRAD_SEED = 0xffffffff;
/** The defaults of the panel and the CLI (Smilkov et al. 2017 suggest σ of 10–20 % of the range and N ≈ 50). */
export const SMOOTHGRAD_DEFAULTS = { samples: 50, sigma: 0.15, seed: 0 } as const;
