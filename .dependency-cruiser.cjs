// @ts-check
// The folder rules of ARCHITECTURE.md, checked by dependency-cruiser (`npm run lint`):
// `depcruise src webview test bench scripts esbuild.mjs`. Each rule's comment is what a violation
// prints, so it says why the rule exists and what to do instead. test/integration/repository/boundaries.test.ts makes
// every rule fire on a small fixture tree.

/** Our own code that ships in the .vsix (test/, bench/ and scripts/ do not). */
const SHIPPED = '^(src|webview)/';
/** The modules of ours that webviews may import: the contract floor and the pure estimators under it. */
const PURE_FOR_WEBVIEWS = '^src/(analysis|contract)/';
/** TensorFlow.js and its backends, the runtime the extension host must never load. */
const TFJS = '^(node_modules/)?@tensorflow/';
/** ONNX Runtime's native module, loaded by src/native alone. */
const ORT = '^(node_modules/)?onnxruntime-node(/|$)';

/**
 * The folders of src/ ranked from the floor up (ARCHITECTURE.md, "Folders"), an allow-list: a
 * module may import, of src/, its own folder and the folders ranked below its own, never a folder
 * of the same rank (sideways) or above, nor a folder the table does not rank. One rule per folder
 * is generated from it (`rank-<folder>`). The ranks are those of the imports in the code; the rules
 * further down narrow some folders more (src/contract and src/onnx import of ours only
 * src/analysis; the extension host only the clients of the recorder and the service). webview/
 * stands above them all and has rules of its own (it imports only src/contract and src/analysis).
 */
const FOLDER_RANKS = [
  // Pure computation, shared by every process and the webviews.
  ['analysis'],
  // What crosses a process, thread or webview boundary.
  ['contract'],
  // ONNX checkpoints decoded, the typed channel's runtime, the run folder's files.
  ['onnx', 'rpc', 'run'],
  // The datasets (read with src/run's bounded reads), the native engine, the TensorFlow.js runtime.
  ['data', 'native', 'tfjs'],
  // The compute pool (its Gram products run on the native engine).
  ['compute'],
  // The per-epoch measuring of a run (issue 69: moving here out of src/recorder).
  ['measure'],
  // The processes: recording, and the analysis service, which never bundles the recording code and esbuild.
  ['recorder', 'service'],
  // The front ends: the CLI and the VS Code extension host.
  ['cli', 'extension'],
];
/** A path under one of the folders of src/ named. */
const underFolders = (/** @type {string[]} */ names) => `^src/(${names.join('|')})/`;
/** One rule per ranked folder: of src/, it imports only itself and the folders ranked below it. */
const RANK_RULES = FOLDER_RANKS.flatMap((tier, rank) =>
  tier.map((folder) => {
    const below = FOLDER_RANKS.slice(0, rank).flat();
    const allowed = below.length ? `itself and the folders ranked below it (${below.map((f) => `src/${f}`).join(', ')})` : 'itself';
    return {
      name: `rank-${folder}`,
      /** @type {'error'} */
      severity: 'error',
      comment:
        `src/${folder} (rank ${rank} of FOLDER_RANKS in .dependency-cruiser.cjs) imports, of src/, only ${allowed}. ` +
        'An import sideways (a folder of the same rank) or upwards tangles the layers, so that no folder can be understood, ' +
        'bundled or tested without the ones above it. Move what both need down into a folder both may import ' +
        '(a type or a pure function into src/contract or src/analysis), or pass it in from the caller.',
      from: { path: `^src/${folder}/` },
      to: { path: '^src/', pathNot: underFolders([folder, ...below]) },
    };
  }),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // Everywhere.
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'This import closes a cycle: modules in a cycle load in an order that depends on who imports first, ' +
        'and cannot be understood or tested one at a time. Move what both sides need into a module that imports neither.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'This import does not resolve to a file: a typo, a deleted module, or a package missing from node_modules (run npm ci).',
      from: {},
      // The optional native backends are required at run time only when installed (src/tfjs/backend.ts);
      // tfjs-node-gpu is no dependency at all: a user installs it on a GPU host (docs/vscode.md).
      to: { couldNotResolve: true, pathNot: '^@tensorflow/tfjs-node(-gpu)?$' },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment:
        'This package is not declared in package.json: it is only here by accident of another package. Declare it (npm install <name>).',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment:
        'Shipped code (src/, webview/) imports a devDependency: it would be bundled from a package the product does not declare. ' +
        'Move the package to dependencies, or import it only from test/, bench/ or scripts/.',
      from: { path: SHIPPED },
      // Type-only imports vanish in the bundle; `vscode` is the host's API, typed by @types/vscode.
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: '^node_modules/@types/' },
    },

    // The folder ranks: each folder of src/ imports only itself and the folders ranked below it.
    ...RANK_RULES,
    {
      name: 'folder-has-a-rank',
      severity: 'error',
      comment:
        'This module is in a folder of src/ that FOLDER_RANKS (.dependency-cruiser.cjs) does not rank, so no rule says what it may import ' +
        'or who may import it. Give the folder its rank there (and its place in ARCHITECTURE.md), or put the module in a ranked folder.',
      from: { path: '^src/', pathNot: underFolders(FOLDER_RANKS.flat()) },
      to: { path: '^(src|webview)/' },
    },

    // src/analysis: the pure core that every process and the webviews share.
    {
      name: 'analysis-is-pure',
      severity: 'error',
      comment:
        'src/analysis imports only itself: no vscode, no node: modules, no tfjs, no packages, nothing else of ours. ' +
        'It is pure computation shared by every process and by the webviews; move the I/O to its caller.',
      from: { path: '^src/analysis/' },
      to: { pathNot: '^src/analysis/' },
    },

    // src/onnx: ONNX checkpoints decoded into plain graphs (the first step of reading PyTorch runs).
    {
      name: 'onnx-is-pure',
      severity: 'error',
      comment:
        'src/onnx decodes the bytes of an ONNX checkpoint into a plain graph: it imports only itself, src/analysis and protobufjs ' +
        '(no vscode, no node: modules, no tfjs, nothing else of ours), so every process can use it and test it alone. ' +
        'The caller reads the file (src/run for a run folder) and builds the tfjs model.',
      from: { path: '^src/onnx/' },
      to: { pathNot: ['^src/(onnx|analysis)/', '(^|/)node_modules/(protobufjs|long)/'] },
    },

    // src/native: the native engine (ONNX Runtime).
    {
      name: 'native-runtime-only-in-native',
      severity: 'error',
      comment:
        'Only src/native loads onnxruntime-node: it loads the runtime once, lazily, says in one line why it cannot, ' +
        'and sets every session up the same way (src/native/ortRuntime.ts `nativeRuntime`, `createSession`). Use those, ' +
        'or NativeCheckpoint (src/native/nativeForward.ts) for forward passes.',
      from: { pathNot: '^src/native/' },
      to: { path: ORT },
    },

    // src/contract: what crosses a process, thread or webview boundary, declared once.
    {
      name: 'contract-is-pure',
      severity: 'error',
      comment:
        'src/contract (the run format, the query descriptors, the webview protocol, the process and thread protocols with their message vocabulary, ' +
        "the report plan and codec, the page shell, formatting, layer labels, the findings' wording, the recording settings, the layer kinds) " +
        'is the floor every process and the webviews stand on, ' +
        'so it stays pure: no vscode, no node: modules, no tfjs, and of ours only src/analysis and itself (browser-safe packages such as valibot are fine). ' +
        'Move the I/O to the side that uses it, and what a protocol needs of a process (a type, a pure function of a shape) down into src/contract.',
      from: { path: '^src/contract/' },
      to: { pathNot: [PURE_FOR_WEBVIEWS, '(^|/)node_modules/(?!@tensorflow/|@types/vscode/)'] },
    },
    {
      name: 'webview-is-a-leaf',
      severity: 'error',
      comment:
        'webview/ is the browser app, a leaf: nothing outside it imports it (the bundle entry webview/main.tsx is built by esbuild.mjs). ' +
        'What the extension host, the CLI or the service share with the page (protocol, plan, report codec, page shell, formatting, ' +
        'labels, wording) belongs in src/contract/.',
      from: { path: '^(src|bench)/' },
      to: { path: '^webview/' },
    },

    // vscode belongs to the extension host.
    {
      name: 'vscode-only-in-extension',
      severity: 'error',
      comment:
        'Only src/extension (and the integration tests) may import vscode: everything else runs in a webview, ' +
        'a child process, a worker thread or the CLI, where there is no vscode module.',
      from: { path: SHIPPED, pathNot: '^src/extension/' },
      to: { path: '^(node_modules/@types/)?vscode$|^node_modules/@types/vscode/' },
    },

    // webview/: a browser page.
    {
      name: 'webview-no-node',
      severity: 'error',
      comment: 'webview/ runs in a browser page: no node: modules, no tfjs.',
      from: { path: '^webview/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'webview-no-tfjs',
      severity: 'error',
      comment: 'webview/ runs in a browser page and gets every measure from the analysis service: it never loads tfjs.',
      from: { path: '^webview/' },
      to: { path: TFJS },
    },
    {
      name: 'webview-only-pure-src',
      severity: 'error',
      comment:
        'From src/, webview/ may import only src/contract/ (what crosses the boundary) and the pure estimators of src/analysis/: ' +
        'the rest runs in the extension host or a child process.',
      from: { path: '^webview/' },
      to: { path: '^src/', pathNot: PURE_FOR_WEBVIEWS },
    },

    // src/run: the run folder's one home.
    {
      name: 'run-no-tfjs',
      severity: 'error',
      comment:
        "src/run reads and writes run folders as files; tensors are src/tfjs's job (the extension host reads runs too and must not load tfjs).",
      from: { path: '^src/run/' },
      to: { path: TFJS },
    },

    // Processes: what a process loads is what its bundle contains (src/service and src/recorder share a rank: neither imports the other).
    {
      name: 'service-never-loads-esbuild',
      severity: 'error',
      comment: 'The analysis service (dist/service.js) must not reach esbuild, which only bundles user models for recording.',
      from: { path: '^src/service/serviceProcess[.]ts$' },
      to: { path: '^node_modules/esbuild/', reachable: true },
    },
    {
      name: 'extension-no-tfjs',
      severity: 'error',
      comment:
        'The extension host never loads TensorFlow.js: it stays small and starts fast. ' +
        'Ask the analysis service (src/service/client.ts) or the recorder (a child process) instead.',
      from: { path: '^src/extension/' },
      // Through any chain of imports, type-only ones included: the protocols the host shares with its
      // child processes name their types from tfjs-free modules. `npm run bench` also checks the built bundle.
      to: { path: TFJS, reachable: true },
    },
    {
      name: 'extension-not-native',
      severity: 'error',
      comment:
        'The extension host never reaches src/native (ONNX Runtime, a native module of its own threads and memory): ' +
        'forward passes run in the analysis service and the recorder. Ask the service (src/service/client.ts) instead.',
      from: { path: '^src/extension/' },
      to: { path: '^src/native/', reachable: true },
    },
    {
      name: 'extension-not-engine',
      severity: 'error',
      comment:
        "The extension host never imports src/compute, src/tfjs, src/measure or src/recorder (other than the recorder's client.ts, its parent side; " +
        'the protocol is src/contract/protocols/recorder.ts): those run in child processes and worker threads it starts.',
      from: { path: '^src/extension/' },
      to: { path: '^src/(compute|tfjs|measure|recorder)/', pathNot: '^src/recorder/client[.]ts$' },
    },
    {
      name: 'extension-service-client-only',
      severity: 'error',
      comment:
        'The extension host reaches the analysis service only through src/service/client.ts (and the protocol and query descriptors in src/contract/); ' +
        'the engine runs in its own process (dist/service.js).',
      from: { path: '^src/extension/' },
      to: { path: '^src/service/', pathNot: '^src/service/client[.]ts$' },
    },
    {
      name: 'charts-are-pure',
      severity: 'error',
      comment:
        'webview/charts/ holds pure drawings: a chart takes its data and callbacks as props and never asks a query, ' +
        'reads the app state or talks to the host, so it can be read and tested alone. Ask the query in the card of the view ' +
        '(webview/views/<view>/) and pass the answer down; the pure widgets a chart needs are in webview/charts/primitives.tsx.',
      from: { path: '^webview/charts/' },
      to: { path: '^(webview/((state|ui)[.]tsx|(data|vscodeApi)[.]ts|views/)|src/contract/plan[.]ts$)' },
    },
    {
      name: 'webview-not-extension',
      severity: 'error',
      comment: 'webview/ never imports src/extension: the page and the host talk only through src/contract/webviewProtocol.ts messages.',
      from: { path: '^webview/' },
      to: { path: '^src/extension/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Model files the tests load on purpose, some with syntax errors.
    exclude: { path: '^test/fixtures/' },
    // Type-only imports count: a cycle or a forbidden import through types is still a design error.
    tsPreCompilationDeps: true,
    // No tsConfig: the project has no path aliases, and with one dependency-cruiser resolves the bare
    // 'esbuild' to the repository's esbuild.mjs.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
