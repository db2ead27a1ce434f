// @ts-check
// One build script, one entry per target (see ARCHITECTURE.md):
//   extension host (node, cjs, `vscode` external), child processes and workers (node),
//   the CLI and the benchmark (node), webviews (browser).
// Usage: node esbuild.mjs [--watch] [--production] [--outdir <dir>]
//   --outdir  write the bundles there instead of dist/ (scripts/package.mjs --stage builds the
//             production bundles of a .vsix outside dist/, so the development build is left alone)
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const outdirAt = process.argv.indexOf('--outdir');
const outdir = outdirAt >= 0 ? process.argv[outdirAt + 1] : 'dist';
if (!outdir || outdir.startsWith('--')) throw new Error('--outdir needs a folder: node esbuild.mjs --outdir <dir>');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'linked',
};

/** @type {import('esbuild').BuildOptions} */
const node = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // tfjs-node is optional and native, onnxruntime-node is native (src/native loads it at first use),
  // esbuild (bundles user models at run time) ships a native binary it finds through its own
  // package: all are resolved at run time, never bundled.
  // playwright-core (bench only) drives Chromium and is resolved from node_modules.
  external: ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node', 'esbuild', 'playwright-core'],
};

/** @type {import('esbuild').BuildOptions[]} */
const targets = [
  // jsonc-parser's default (UMD) build loads its parts with a require() that bundling cannot follow;
  // its ES module build bundles whole. The extension bundle has no other package.
  { ...node, mainFields: ['module', 'main'], entryPoints: { extension: 'src/extension/extension.ts' }, outdir },
  { ...node, entryPoints: { computeWorker: 'src/compute/computeWorker.ts' }, outdir },
  { ...node, entryPoints: { recorder: 'src/recorder/recorderProcess.ts' }, outdir },
  { ...node, entryPoints: { service: 'src/service/serviceProcess.ts' }, outdir },
  { ...node, entryPoints: { forwardWorker: 'src/tfjs/forwardWorker.ts' }, outdir },
  { ...node, entryPoints: { measureWorker: 'src/measure/measureWorker.ts' }, outdir },
  { ...node, entryPoints: { halfBatchWorker: 'src/recorder/halfBatchWorker.ts' }, outdir },
  { ...node, entryPoints: { kernelWorker: 'src/tfjs/kernelWorker.ts' }, outdir },
  { ...node, entryPoints: { nativePassWorker: 'src/native/passWorker.ts' }, outdir },
  { ...node, entryPoints: { cli: 'src/cli/main.ts' }, outdir, banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { bench: 'bench/bench.ts' }, outdir },
  {
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: { webview: 'webview/main.tsx' },
    outdir,
    jsx: 'automatic',
    jsxImportSource: 'preact',
  },
];

if (watch) {
  const contexts = await Promise.all(targets.map((t) => esbuild.context(t)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching', targets.length, 'targets');
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
}
