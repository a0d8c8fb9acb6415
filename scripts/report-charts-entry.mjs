// The lab report's chart renderers as one ES module (dist/vendor/report-charts.mjs) for the
// packaged extension, which carries no node_modules (scripts/build-extension.mjs).
export * as vega from 'vega';
export * as vegaLite from 'vega-lite';
