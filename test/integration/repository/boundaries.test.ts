import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

// The folder rules (.dependency-cruiser.cjs) and the house rules of eslint.config.mjs, each made to
// fire on a small fixture tree. dependency-cruiser runs as `npm run lint` runs it, as a separate
// process with the repository's configuration, on a tree written to a temporary folder that shares
// the repository's package.json and node_modules (so packages resolve and are classified as in the
// repository). A tree with one violation per rule is cruised once; each test finds its violation
// there, and a last test checks that nothing else was reported. A clean tree of every allowed
// exception must pass.

const ROOT = path.resolve(__dirname, '../../..');
const DEPCRUISE = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const run = promisify(execFile);

interface Violation {
  rule: string;
  from: string;
  to: string;
}

interface CruiseResult {
  summary: { violations: { rule: { name: string }; from: string; to: string; type: string }[]; totalCruised: number };
}

const roots: string[] = [];

/** Writes `files` into a new temporary tree that shares the repository's package.json and node_modules. */
function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-boundaries-'));
  roots.push(root);
  copyFileSync(path.join(ROOT, 'package.json'), path.join(root, 'package.json'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  // The repository's rules, with the symlinked node_modules kept as node_modules/… paths.
  writeFileSync(
    path.join(root, '.dependency-cruiser.cjs'),
    `module.exports = { extends: ${JSON.stringify(path.join(ROOT, '.dependency-cruiser.cjs'))}, options: { preserveSymlinks: true } };\n`,
  );
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(root, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return root;
}

/** Runs dependency-cruiser on the tree's src/, webview/ and test/ and returns every violation it reports. */
async function cruise(files: Record<string, string>): Promise<{ violations: Violation[]; cruised: number }> {
  const root = writeTree(files);
  const dirs = ['src', 'webview', 'test', 'bench'].filter((dir) => Object.keys(files).some((rel) => rel.startsWith(`${dir}/`)));
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [DEPCRUISE, '--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...dirs], {
      cwd: root,
    }));
  } catch (error) {
    // dependency-cruiser exits with the number of errors, and still prints its result.
    const e = error as { stdout?: string; stderr?: string };
    if (!e.stdout) throw new Error(`dependency-cruiser failed: ${e.stderr ?? String(error)}`, { cause: error });
    stdout = e.stdout;
  }
  const result = JSON.parse(stdout) as CruiseResult;
  return {
    violations: result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to })),
    cruised: result.summary.totalCruised,
  };
}

const STUB = 'export const stub = 1;\n';

/** The modules the violating imports point at, so that every import resolves. */
const TARGETS: Record<string, string> = {
  'src/analysis/shannon.ts': STUB,
  'src/compute/pool.ts': STUB,
  'src/extension/commands.ts': STUB,
  'src/recorder/protocol.ts': STUB,
  'src/recorder/record.ts': STUB,
  'src/contract/runFormat.ts': STUB,
  'src/contract/plan.ts': STUB,
  'src/contract/webviewProtocol.ts': STUB,
  'src/contract/page.ts': STUB,
  'src/run/store.ts': STUB,
  'src/service/client.ts': STUB,
  'src/service/engine.ts': STUB,
  'src/service/protocol.ts': STUB,
  'src/contract/queries/index.ts': STUB,
  'src/tfjs/backend.ts': STUB,
  'src/tfjs/taylor.ts': STUB,
  'src/rpc/channel.ts': STUB,
  'src/native/nativeForward.ts': STUB,
  'src/measure/measureRun.ts': STUB,
  'src/newFolder/thing.ts': STUB,
  'webview/App.tsx': STUB,
  'webview/data.ts': STUB,
  'webview/state.tsx': STUB,
  'webview/views/layer/LayerView.tsx': STUB,
};

/** One case per forbidden import: the file that imports, the specifier, the rules it breaks and where it resolves. */
interface Case {
  title: string;
  file: string;
  specifier: string;
  resolved: string;
  rules: string[];
}

const VSCODE_TYPES = 'node_modules/@types/vscode/index.d.ts';
const TFJS = 'node_modules/@tensorflow/tfjs/dist/tf.node.js';

const CASES: Case[] = [
  {
    title: 'src/analysis importing vscode',
    file: 'src/analysis/usesVscode.ts',
    specifier: 'vscode',
    resolved: VSCODE_TYPES,
    rules: ['analysis-is-pure', 'vscode-only-in-extension'],
  },
  {
    title: 'src/analysis importing a node: module',
    file: 'src/analysis/usesNode.ts',
    specifier: 'node:fs',
    resolved: 'fs',
    rules: ['analysis-is-pure'],
  },
  {
    title: 'src/analysis importing a bare Node builtin',
    file: 'src/analysis/usesPath.ts',
    specifier: 'path',
    resolved: 'path',
    rules: ['analysis-is-pure'],
  },
  {
    title: 'src/analysis importing tfjs',
    file: 'src/analysis/usesTfjs.ts',
    specifier: '@tensorflow/tfjs',
    resolved: TFJS,
    rules: ['analysis-is-pure'],
  },
  {
    title: 'src/analysis importing a package',
    file: 'src/analysis/usesD3.ts',
    specifier: 'd3-array',
    resolved: 'node_modules/d3-array/dist/d3-array.mjs',
    rules: ['analysis-is-pure'],
  },
  {
    title: 'src/analysis importing other code of ours',
    file: 'src/analysis/usesRun.ts',
    specifier: '../run/store',
    resolved: 'src/run/store.ts',
    rules: ['analysis-is-pure', 'rank-analysis'],
  },
  {
    title: 'src/onnx importing vscode',
    file: 'src/onnx/usesVscode.ts',
    specifier: 'vscode',
    resolved: VSCODE_TYPES,
    rules: ['onnx-is-pure', 'vscode-only-in-extension'],
  },
  {
    title: 'src/onnx importing a node: module',
    file: 'src/onnx/usesNode.ts',
    specifier: 'node:fs',
    resolved: 'fs',
    rules: ['onnx-is-pure'],
  },
  {
    title: 'src/onnx importing tfjs',
    file: 'src/onnx/usesTfjs.ts',
    specifier: '@tensorflow/tfjs',
    resolved: TFJS,
    rules: ['onnx-is-pure'],
  },
  {
    title: 'src/onnx importing a package other than protobufjs',
    file: 'src/onnx/usesValibot.ts',
    specifier: 'valibot',
    resolved: 'node_modules/valibot/dist/index.d.mts',
    rules: ['onnx-is-pure'],
  },
  {
    title: 'src/onnx importing the run folder code',
    file: 'src/onnx/usesRun.ts',
    specifier: '../run/store',
    resolved: 'src/run/store.ts',
    rules: ['onnx-is-pure', 'rank-onnx'],
  },
  {
    title: 'src/contract importing a node: module',
    file: 'src/contract/runFormat.ts',
    specifier: 'node:fs',
    resolved: 'fs',
    rules: ['contract-is-pure'],
  },
  {
    title: 'src/contract importing the run store',
    file: 'src/contract/queries/index.ts',
    specifier: '../../run/store',
    resolved: 'src/run/store.ts',
    rules: ['contract-is-pure', 'rank-contract'],
  },
  {
    title: 'src/contract importing tfjs',
    file: 'src/contract/queries/index.ts',
    specifier: '@tensorflow/tfjs',
    resolved: TFJS,
    rules: ['contract-is-pure'],
  },
  {
    title: 'a process protocol in src/contract importing the runtime of the process it talks to',
    file: 'src/contract/protocols/forward.ts',
    specifier: '../../tfjs/taylor',
    resolved: 'src/tfjs/taylor.ts',
    rules: ['contract-is-pure', 'rank-contract'],
  },
  {
    title: 'a process protocol in src/contract importing the channel runtime',
    file: 'src/contract/protocols/service.ts',
    specifier: '../../rpc/channel',
    resolved: 'src/rpc/channel.ts',
    rules: ['contract-is-pure', 'rank-contract'],
  },
  {
    title: 'src/contract importing the browser app',
    file: 'src/contract/plan.ts',
    specifier: '../../webview/state',
    resolved: 'webview/state.tsx',
    rules: ['contract-is-pure', 'webview-is-a-leaf'],
  },
  {
    title: 'src/cli importing the browser app',
    file: 'src/cli/usesWebview.ts',
    specifier: '../../webview/data',
    resolved: 'webview/data.ts',
    rules: ['webview-is-a-leaf'],
  },
  {
    title: 'bench importing the browser app',
    file: 'bench/usesWebview.ts',
    specifier: '../webview/App',
    resolved: 'webview/App.tsx',
    rules: ['webview-is-a-leaf'],
  },
  {
    title: 'webview importing vscode',
    file: 'webview/usesVscode.ts',
    specifier: 'vscode',
    resolved: VSCODE_TYPES,
    rules: ['vscode-only-in-extension'],
  },
  {
    title: 'webview importing a node: module',
    file: 'webview/usesNode.ts',
    specifier: 'node:path',
    resolved: 'path',
    rules: ['webview-no-node'],
  },
  {
    title: 'webview importing a bare Node builtin',
    file: 'webview/usesEvents.ts',
    specifier: 'events',
    resolved: 'events',
    rules: ['webview-no-node'],
  },
  {
    title: 'webview importing tfjs',
    file: 'webview/usesTfjs.ts',
    specifier: '@tensorflow/tfjs',
    resolved: TFJS,
    rules: ['webview-no-tfjs'],
  },
  {
    title: 'webview importing the analysis engine',
    file: 'webview/views/usesEngine.tsx',
    specifier: '../../src/service/engine',
    resolved: 'src/service/engine.ts',
    rules: ['webview-only-pure-src'],
  },
  {
    title: 'webview importing the run store',
    file: 'webview/usesStore.ts',
    specifier: '../src/run/store',
    resolved: 'src/run/store.ts',
    rules: ['webview-only-pure-src'],
  },
  {
    title: 'webview importing src/extension',
    file: 'webview/usesExtension.ts',
    specifier: '../src/extension/commands',
    resolved: 'src/extension/commands.ts',
    rules: ['webview-only-pure-src', 'webview-not-extension'],
  },
  { title: 'src/run importing tfjs', file: 'src/run/usesTfjs.ts', specifier: '@tensorflow/tfjs', resolved: TFJS, rules: ['run-no-tfjs'] },
  {
    title: 'src/run importing the recorder',
    file: 'src/run/usesRecorder.ts',
    specifier: '../recorder/record',
    resolved: 'src/recorder/record.ts',
    rules: ['rank-run'],
  },
  {
    title: 'src/run importing the service',
    file: 'src/run/usesService.ts',
    specifier: '../service/engine',
    resolved: 'src/service/engine.ts',
    rules: ['rank-run'],
  },
  {
    title: 'src/service importing src/recorder',
    file: 'src/service/usesRecorder.ts',
    specifier: '../recorder/record',
    resolved: 'src/recorder/record.ts',
    rules: ['rank-service'],
  },
  {
    title: 'a sideways import: src/tfjs importing src/native, a folder of its own rank',
    file: 'src/tfjs/usesNative.ts',
    specifier: '../native/nativeForward',
    resolved: 'src/native/nativeForward.ts',
    rules: ['rank-tfjs'],
  },
  {
    title: 'an upward import: src/compute importing the service',
    file: 'src/compute/usesService.ts',
    specifier: '../service/engine',
    resolved: 'src/service/engine.ts',
    rules: ['rank-compute'],
  },
  {
    title: 'src/compute importing src/measure, ranked above it',
    file: 'src/compute/usesMeasure.ts',
    specifier: '../measure/measureRun',
    resolved: 'src/measure/measureRun.ts',
    rules: ['rank-compute'],
  },
  {
    title: 'src/measure importing the service, ranked above it',
    file: 'src/measure/usesService.ts',
    specifier: '../service/client',
    resolved: 'src/service/client.ts',
    rules: ['rank-measure'],
  },
  {
    title: 'src/recorder importing the service, a folder of its own rank',
    file: 'src/recorder/usesService.ts',
    specifier: '../service/client',
    resolved: 'src/service/client.ts',
    rules: ['rank-recorder'],
  },
  {
    title: 'a ranked folder importing a folder of src/ that has no rank',
    file: 'src/service/usesNewFolder.ts',
    specifier: '../newFolder/thing',
    resolved: 'src/newFolder/thing.ts',
    rules: ['rank-service'],
  },
  {
    title: 'a module in a folder of src/ that has no rank',
    file: 'src/newFolder/usesRun.ts',
    specifier: '../run/store',
    resolved: 'src/run/store.ts',
    rules: ['folder-has-a-rank'],
  },
  {
    title: 'src/extension importing tfjs',
    file: 'src/extension/usesTfjs.ts',
    specifier: '@tensorflow/tfjs',
    resolved: TFJS,
    rules: ['extension-no-tfjs'],
  },
  {
    title: 'src/extension importing src/compute',
    file: 'src/extension/usesCompute.ts',
    specifier: '../compute/pool',
    resolved: 'src/compute/pool.ts',
    rules: ['extension-not-engine'],
  },
  {
    title: 'src/extension importing src/tfjs',
    file: 'src/extension/usesTfjsRuntime.ts',
    specifier: '../tfjs/backend',
    resolved: 'src/tfjs/backend.ts',
    rules: ['extension-not-engine'],
  },
  {
    title: 'src/extension importing src/native',
    file: 'src/extension/usesNative.ts',
    specifier: '../native/nativeForward',
    resolved: 'src/native/nativeForward.ts',
    rules: ['extension-not-native'],
  },
  {
    title: 'src/service importing onnxruntime-node',
    file: 'src/service/usesOrt.ts',
    specifier: 'onnxruntime-node',
    resolved: 'node_modules/onnxruntime-node/dist/index.js',
    rules: ['native-runtime-only-in-native'],
  },
  {
    title: 'src/extension importing the recorder beyond its client',
    file: 'src/extension/usesRecorder.ts',
    specifier: '../recorder/record',
    resolved: 'src/recorder/record.ts',
    rules: ['extension-not-engine'],
  },
  {
    title: 'src/extension importing the service beyond its client',
    file: 'src/extension/usesEngine.ts',
    specifier: '../service/engine',
    resolved: 'src/service/engine.ts',
    rules: ['extension-service-client-only'],
  },
  {
    title: 'src/extension importing a service module named like the protocol that left it',
    file: 'src/extension/usesServiceProtocol.ts',
    specifier: '../service/protocol',
    resolved: 'src/service/protocol.ts',
    rules: ['extension-service-client-only'],
  },
  {
    title: 'src/extension importing a recorder module named like the protocol that left it',
    file: 'src/extension/usesRecorderProtocol.ts',
    specifier: '../recorder/protocol',
    resolved: 'src/recorder/protocol.ts',
    rules: ['extension-not-engine'],
  },
  {
    title: 'src/extension importing the browser app',
    file: 'src/extension/usesApp.ts',
    specifier: '../../webview/App',
    resolved: 'webview/App.tsx',
    rules: ['webview-is-a-leaf'],
  },
  {
    title: 'a chart importing the app state',
    file: 'webview/charts/usesState.tsx',
    specifier: '../state',
    resolved: 'webview/state.tsx',
    rules: ['charts-are-pure'],
  },
  {
    title: 'a chart importing the query plan',
    file: 'webview/charts/usesPlan.tsx',
    specifier: '../../src/contract/plan',
    resolved: 'src/contract/plan.ts',
    rules: ['charts-are-pure'],
  },
  {
    title: 'a chart importing the data source',
    file: 'webview/charts/usesData.tsx',
    specifier: '../data',
    resolved: 'webview/data.ts',
    rules: ['charts-are-pure'],
  },
  {
    title: 'a chart importing a view',
    file: 'webview/charts/usesView.tsx',
    specifier: '../views/layer/LayerView',
    resolved: 'webview/views/layer/LayerView.tsx',
    rules: ['charts-are-pure'],
  },
  {
    title: 'shipped code importing a devDependency',
    file: 'src/cli/usesMocha.ts',
    specifier: 'mocha',
    resolved: 'node_modules/mocha/index.js',
    rules: ['not-to-dev-dep'],
  },
  {
    title: 'a package that package.json does not declare',
    file: 'test/unit/usesDispatch.ts',
    specifier: 'd3-dispatch',
    resolved: 'node_modules/d3-dispatch/dist/d3-dispatch.mjs',
    rules: ['no-non-package-json'],
  },
  {
    title: 'a module that does not exist',
    file: 'src/cli/usesMissing.ts',
    specifier: './doesNotExist',
    resolved: './doesNotExist',
    rules: ['not-to-unresolvable'],
  },
  ...['src/cli', 'src/compute', 'src/data', 'src/recorder', 'src/run', 'src/service', 'src/tfjs'].map((dir) => ({
    title: `${dir} importing vscode`,
    file: `${dir}/usesVscode.ts`,
    specifier: 'vscode',
    resolved: VSCODE_TYPES,
    rules: ['vscode-only-in-extension'],
  })),
];

/** The violating tree: every case's import (a file may hold several), the import targets, a cycle and a reach to esbuild. */
function violatingTree(): Record<string, string> {
  const files: Record<string, string> = { ...TARGETS };
  CASES.forEach((c, i) => {
    const before = files[c.file] === STUB ? '' : (files[c.file] ?? '');
    files[c.file] = `${before}import * as m${i} from '${c.specifier}';\n`;
  });
  return {
    ...files,
    // A runtime cycle in the extension host and a cycle through type-only imports in the webview.
    'src/extension/cycleA.ts': "import { b } from './cycleB';\nexport const a = b;\n",
    'src/extension/cycleB.ts': "import { a } from './cycleA';\nexport const b = () => a;\n",
    'webview/typeA.ts': "import type { B } from './typeB';\nexport interface A { b?: B }\n",
    'webview/typeB.ts': "import type { A } from './typeA';\nexport interface B { a?: A }\n",
    // The service process reaches esbuild through two modules that are each allowed to import what they do.
    'src/service/serviceProcess.ts': "import './loader';\n",
    'src/service/loader.ts': "import '../tfjs/modelBundler';\n",
    'src/tfjs/modelBundler.ts': "import * as esbuild from 'esbuild';\nexport const build = esbuild.build;\n",
    // The extension host reaches tfjs's types through a module it may import.
    'src/extension/typeChain.ts': "import type { T } from '../rpc/typeChain';\nexport type X = T;\n",
    'src/rpc/typeChain.ts': "import type { Tensor } from '@tensorflow/tfjs';\nexport type T = Tensor;\n",
  };
}

/** Every exception the rules allow, in one tree that must pass. */
const CLEAN_TREE: Record<string, string> = {
  ...TARGETS,
  'src/analysis/capacity.ts': "import { stub } from './shannon';\nexport * from './wasm/gram';\nexport const c = stub;\n",
  'src/analysis/wasm/gram.ts': "import { stub } from '../shannon';\nexport const helper = stub;\n",
  'src/contract/runFormat.ts':
    "import * as v from 'valibot';\nimport { stub } from '../analysis/shannon';\nexport const schema = v.number();\nexport const s = stub;\n",
  // src/onnx may import itself and src/analysis (and protobufjs: src/onnx/decode.ts does, checked by npm run lint).
  'src/onnx/graph.ts': "import { stub } from '../analysis/shannon';\nexport const g = stub;\n",
  'src/onnx/decode.ts': "import { g } from './graph';\nexport const d = g;\n",
  'src/run/paths.ts':
    "import { join } from 'node:path';\nimport { stub } from '../contract/runFormat';\nexport const p = join(String(stub));\n",
  'src/contract/queries/index.ts': "import { schema } from '../runFormat';\nexport const q = schema;\n",
  'src/contract/plan.ts': "import { q } from './queries';\nimport { stub } from './webviewProtocol';\nexport const plan = [q, stub];\n",
  'src/service/engine.ts':
    "import * as tf from '@tensorflow/tfjs';\nimport { p } from '../run/paths';\nimport { backend } from '../tfjs/backend';\nexport const e = [tf, p, backend];\n",
  'src/tfjs/backend.ts':
    "import * as tf from '@tensorflow/tfjs';\n// The optional native backend, loaded only when installed.\nexport const backend = () => require('@tensorflow/tfjs-node') as typeof tf;\n",
  // Only src/native loads ONNX Runtime; the service runs it through src/native.
  'src/native/ortRuntime.ts': "export const load = () => require('onnxruntime-node') as unknown;\n",
  'src/service/native.ts': "import { load } from '../native/ortRuntime';\nexport const n = load;\n",
  'src/recorder/record.ts':
    "import * as esbuild from 'esbuild';\nimport { backend } from '../tfjs/backend';\nexport const r = [esbuild, backend];\n",
  // The folder ranks: src/data reads through src/run, src/compute uses src/native, src/measure stands on the
  // engine's folders below it, and the recorder and the CLI measure through it.
  'src/data/mnist.ts': "import { p } from '../run/paths';\nexport const mnist = p;\n",
  'src/compute/gram.ts': "import { load } from '../native/ortRuntime';\nexport const gram = load;\n",
  'src/measure/measureRun.ts': [
    "import { stub } from '../compute/pool';",
    "import { backend } from '../tfjs/backend';",
    "import { mnist } from '../data/mnist';",
    "import { gram } from '../compute/gram';",
    "import { channel } from '../rpc/channel';",
    'export const measure = [stub, backend, mnist, gram, channel];',
  ].join('\n'),
  'src/recorder/training.ts': "import { measure } from '../measure/measureRun';\nexport const t = measure;\n",
  'src/cli/measure.ts': "import { measure } from '../measure/measureRun';\nexport const m = measure;\n",
  // The process protocols are in src/contract, with their message vocabulary, and name their types from it:
  // the extension host, the processes and src/rpc import them.
  'src/contract/messages.ts': "import * as v from 'valibot';\nexport const defineRequest = (m: string) => ({ m, p: v.object({}) });\n",
  'src/contract/recordSettings.ts': 'export const o = 1;\n',
  'src/contract/protocols/recorder.ts':
    "import { defineRequest } from '../messages';\nimport type { o } from '../recordSettings';\nexport type Progress = { o?: typeof o };\nexport const start = defineRequest('record/start');\n",
  'src/contract/protocols/service.ts': "import { defineRequest } from '../messages';\nexport const query = defineRequest('query');\n",
  'src/contract/protocols/forward.ts':
    "import { defineRequest } from '../messages';\nimport { stub } from '../../analysis/shannon';\nexport const forward = [defineRequest('forward'), stub];\n",
  'src/recorder/client.ts': "import { start } from '../contract/protocols/recorder';\nexport const client = start;\n",
  'src/extension/extension.ts': [
    "import * as vscode from 'vscode';",
    "import * as fs from 'node:fs';",
    "import { stub } from '../contract/webviewProtocol';",
    "import { stub as page } from '../contract/page';",
    "import type { Progress } from '../contract/protocols/recorder';",
    "import { client as recorder } from '../recorder/client';",
    "import { stub as client } from '../service/client';",
    "import { query as protocol } from '../contract/protocols/service';",
    "import { q } from '../contract/queries';",
    "import { p } from '../run/paths';",
    "import { channel } from '../rpc/channel';",
    "import { c } from '../analysis/capacity';",
    'export const x: [unknown, Progress?] = [[vscode, fs, stub, page, recorder, client, protocol, q, p, channel, c]];',
  ].join('\n'),
  'src/rpc/channel.ts':
    "import * as v from 'valibot';\nimport { defineRequest } from '../contract/messages';\nexport const channel = [v.string(), defineRequest];\n",
  // A process's runtime imports its protocol (the forward worker, the analysis service).
  'src/tfjs/forwardWorker.ts': "import { forward } from '../contract/protocols/forward';\nexport const w = forward;\n",
  // Shipped code may name a devDependency's types: they vanish in the bundle.
  'src/cli/main.ts':
    "import type { Page } from 'playwright-core';\nimport { readFileSync } from 'fs';\nimport { e } from '../service/engine';\nexport const m: [unknown, Page?] = [[readFileSync, e]];\n",
  'webview/main.tsx': [
    "import { render } from 'preact';",
    "import { scaleLinear } from 'd3-scale';",
    "import { stub } from '../src/contract/webviewProtocol';",
    "import { c } from '../src/analysis/capacity';",
    "import { schema } from '../src/contract/runFormat';",
    "import { q } from '../src/contract/queries';",
    'export const y = [render, scaleLinear, stub, c, schema, q];',
  ].join('\n'),
  // A chart may import the pure widgets, other charts and the pure modules; a view may import charts.
  'webview/charts/primitives.tsx': STUB,
  'webview/charts/heatmap.tsx':
    "import { stub } from './primitives';\nimport { c } from '../../src/analysis/capacity';\nexport const h = [stub, c];\n",
  'webview/views/layer/LayerCard.tsx':
    "import { h } from '../../charts/heatmap';\nimport { plan } from '../../../src/contract/plan';\nexport const card = [h, plan];\n",
  // Tests may use devDependencies and vscode.
  'test/unit/a.test.ts': "import { describe } from 'mocha';\nimport * as vscode from 'vscode';\nexport const t = [describe, vscode];\n",
};

describe('folder rules (.dependency-cruiser.cjs)', function () {
  // dependency-cruiser starts as a Node process and parses TypeScript; allow for a busy machine.
  this.timeout(120_000);

  let violations: Violation[] = [];
  before(async () => {
    ({ violations } = await cruise(violatingTree()));
  });

  after(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  function reported(rule: string, from: string, to: string): boolean {
    return violations.some((v) => v.rule === rule && v.from === from && v.to === to);
  }

  for (const c of CASES) {
    it(`reports ${c.title} (${c.rules.join(', ')})`, () => {
      for (const rule of c.rules) {
        assert.ok(
          reported(rule, c.file, c.resolved),
          `expected ${rule}: ${c.file} → ${c.resolved}, got:\n${JSON.stringify(violations, null, 1)}`,
        );
      }
    });
  }

  it('reports an import cycle, in the extension host as anywhere', () => {
    assert.ok(reported('no-circular', 'src/extension/cycleA.ts', 'src/extension/cycleB.ts'), JSON.stringify(violations));
  });

  it('reports a cycle made of type-only imports', () => {
    assert.ok(reported('no-circular', 'webview/typeA.ts', 'webview/typeB.ts'), JSON.stringify(violations));
  });

  it('reports the analysis service reaching esbuild through other modules', () => {
    assert.ok(
      reported('service-never-loads-esbuild', 'src/service/serviceProcess.ts', 'node_modules/esbuild/lib/main.js'),
      JSON.stringify(violations),
    );
  });

  it('reports the extension host reaching tfjs through another module, even by type-only imports', () => {
    assert.ok(reported('extension-no-tfjs', 'src/extension/typeChain.ts', TFJS), JSON.stringify(violations));
  });

  it('reports nothing but the violations above', () => {
    const expected = new Set([
      ...CASES.flatMap((c) => c.rules.map((rule) => `${rule} ${c.file} → ${c.resolved}`)),
      'no-circular src/extension/cycleA.ts → src/extension/cycleB.ts',
      'no-circular webview/typeA.ts → webview/typeB.ts',
      'service-never-loads-esbuild src/service/serviceProcess.ts → node_modules/esbuild/lib/main.js',
      `extension-no-tfjs src/extension/typeChain.ts → ${TFJS}`,
    ]);
    const unexpected = violations.map((v) => `${v.rule} ${v.from} → ${v.to}`).filter((v) => !expected.has(v));
    assert.deepEqual(unexpected, []);
  });

  it('passes a tree that uses every exception the rules allow', async () => {
    const result = await cruise(CLEAN_TREE);
    assert.deepEqual(result.violations, []);
    assert.ok(result.cruised >= Object.keys(CLEAN_TREE).length, `only ${result.cruised} modules cruised`);
  });
});

describe('house rules (eslint.config.mjs)', function () {
  // Loading typescript-eslint takes a few seconds on a busy machine.
  this.timeout(60_000);

  // The repository's configuration without type information, so that files which exist only here can be
  // linted. naming-convention needs types only for options this configuration does not use, so it stays on.
  const typedRulesOff: Linter.RulesRecord = { ...tseslint.configs.disableTypeChecked.rules };
  delete typedRulesOff['@typescript-eslint/naming-convention'];
  const eslint = new ESLint({ cwd: ROOT, overrideConfig: { ...tseslint.configs.disableTypeChecked, rules: typedRulesOff } });

  async function ruleIds(code: string, filePath: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
    const fatal = result.messages.find((m) => m.fatal);
    if (fatal) throw new Error(`${filePath} did not parse: ${fatal.message}`);
    return result.messages.map((m) => m.ruleId ?? '');
  }

  it('lets only webview/vscodeApi.ts use acquireVsCodeApi, called or as a property of window', async () => {
    const called = 'declare function acquireVsCodeApi(): unknown;\nexport const a = acquireVsCodeApi();\n';
    const onWindow = 'export const a = (window as unknown as { acquireVsCodeApi(): unknown }).acquireVsCodeApi();\n';
    // Both the declaration and the call name it.
    assert.deepEqual(await ruleIds(called, 'webview/fake.ts'), ['no-restricted-syntax', 'no-restricted-syntax']);
    assert.deepEqual(await ruleIds(onWindow, 'webview/views/FakeView.tsx'), ['no-restricted-syntax', 'no-restricted-syntax']);
    assert.deepEqual(await ruleIds(called, 'src/extension/fake.ts'), ['no-restricted-syntax', 'no-restricted-syntax']);
    assert.deepEqual(await ruleIds(called, 'webview/vscodeApi.ts'), []);
    assert.deepEqual(await ruleIds(onWindow, 'webview/vscodeApi.ts'), []);
  });

  it("reports importing 'vscode' outside the extension host and allows it inside", async () => {
    const code = "import * as vscode from 'vscode';\nexport const v = vscode;\n";
    for (const file of ['webview/fake.ts', 'src/analysis/fake.ts', 'src/run/fake.ts', 'src/service/fake.ts', 'src/cli/fake.ts']) {
      assert.deepEqual(await ruleIds(code, file), ['no-restricted-imports'], file);
    }
    assert.deepEqual(await ruleIds(code, 'src/extension/fake.ts'), []);
  });

  it('reports a default export in shipped code, not in tests', async () => {
    const code = 'export default function f(): number {\n  return 1;\n}\n';
    assert.deepEqual(await ruleIds(code, 'src/analysis/fake.ts'), ['no-restricted-exports']);
    assert.deepEqual(await ruleIds(code, 'test/unit/fake.ts'), []);
  });

  it('reports an interface named with an I prefix', async () => {
    assert.deepEqual(await ruleIds('export interface IRun {\n  id: string;\n}\n', 'src/run/fake.ts'), [
      '@typescript-eslint/naming-convention',
    ]);
    assert.deepEqual(await ruleIds('export interface Image {\n  id: string;\n}\n', 'src/run/fake.ts'), []);
  });
});
