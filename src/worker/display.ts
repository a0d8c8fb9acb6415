/**
 * Pictures and probabilities travel at display precision (1e-4): the JSON is a third of full
 * float precision, and the extension host, which parses it and forwards it (compressed, with
 * code-server) to the webview, stays free while training.
 */
export const display = (v: number) => Math.round(v * 1e4) / 1e4;
