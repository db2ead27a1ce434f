import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The checker is run as a separate process, exactly as `npm run lint` runs it, on small fixture
// trees written to a temporary folder: each test writes one violation and checks that it is
// reported with the right file, line and rule, and that a clean tree passes.
const SCRIPT = path.resolve(__dirname, '../../scripts/check-boundaries.mjs');

interface CheckResult {
  status: number;
  stdout: string;
  lines: string[];
}

const roots: string[] = [];

function check(files: Record<string, string>): CheckResult {
  const root = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-boundaries-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(root, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  try {
    const stdout = execFileSync(process.execPath, [SCRIPT, root], { encoding: 'utf8', stdio: 'pipe' });
    return { status: 0, stdout, lines: nonEmptyLines(stdout) };
  } catch (error) {
    const e = error as { status?: number | null; stdout?: string };
    if (typeof e.status !== 'number') throw error;
    const stdout = e.stdout ?? '';
    return { status: e.status, stdout, lines: nonEmptyLines(stdout) };
  }
}

function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** Asserts exit status 1 and exactly one reported violation, at `location`, mentioning `rulePart`. */
function assertSingleViolation(result: CheckResult, location: string, rulePart: string): void {
  assert.equal(result.status, 1, `expected a violation, got:\n${result.stdout}`);
  assert.equal(result.lines.length, 1, `expected one violation line, got:\n${result.stdout}`);
  assert.ok(result.lines[0].startsWith(`${location}: `), `expected ${location}, got: ${result.lines[0]}`);
  assert.ok(result.lines[0].includes(rulePart), `expected the rule to mention "${rulePart}", got: ${result.lines[0]}`);
}

const CLEAN_TREE: Record<string, string> = {
  'src/analysis/shannon.ts': "export const LOG2 = Math.log(2);\n",
  'src/analysis/capacity.ts': [
    "import { LOG2 } from './shannon';",
    "import {",
    "  helper,",
    "} from './wasm/gram';",
    "export * from './shannon';",
    "// Comments may mention import * as vscode from 'vscode' freely.",
    "/* and require('fs') too */",
    "export const c = LOG2 + helper;",
  ].join('\n'),
  'src/analysis/wasm/gram.ts': "import { LOG2 } from '../shannon';\nexport const helper = LOG2;\n",
  'src/extension/extension.ts': [
    "import * as vscode from 'vscode';",
    "import * as fs from 'node:fs';",
    "import { PROTOCOL_VERSION } from '../../webview/protocol';",
    "import { LOG2 } from '../analysis/shannon';",
    "export const x = [vscode, fs, PROTOCOL_VERSION, LOG2];",
  ].join('\n'),
  'webview/protocol.ts': "export const PROTOCOL_VERSION = 1;\n",
  'webview/vscodeApi.ts': "declare function acquireVsCodeApi(): unknown;\nexport const api = acquireVsCodeApi();\n",
  'webview/main.tsx': [
    "import { render } from 'preact';",
    "import { scaleLinear } from 'd3-scale';",
    "import { api } from './vscodeApi';",
    "import { LOG2 } from '../src/analysis/shannon';",
    "export const y = [render, scaleLinear, api, LOG2];",
  ].join('\n'),
  'src/compute/computeWorker.ts': "import * as tf from '@tensorflow/tfjs';\nimport { Worker } from 'node:worker_threads';\nexport const z = [tf, Worker];\n",
  'src/cli/main.ts': "import { readFileSync } from 'fs';\nexport const r = readFileSync;\n",
  // Build output and dependencies are not ours to check.
  'webview/node_modules/pkg/index.ts': "import * as vscode from 'vscode';\nexport const v = vscode;\n",
  'src/dist/extension.ts': "import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n",
};

describe('scripts/check-boundaries.mjs', function () {
  // Each test starts a Node process; allow for a slow CI machine.
  this.timeout(20_000);

  after(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('passes a clean tree, counting every scanned file, and ignores node_modules and dist', () => {
    const result = check(CLEAN_TREE);
    assert.equal(result.status, 0, result.stdout);
    assert.deepEqual(result.lines, ['module boundaries: 9 files checked, no violation']);
  });

  it('passes an empty tree', () => {
    const result = check({ 'README.md': 'nothing to scan\n' });
    assert.equal(result.status, 0);
    assert.deepEqual(result.lines, ['module boundaries: 0 files checked, no violation']);
  });

  describe('src/analysis is pure', () => {
    it("reports importing 'vscode'", () => {
      const result = check({ 'src/analysis/a.ts': "export const a = 1;\nimport * as vscode from 'vscode';\n" });
      assertSingleViolation(result, 'src/analysis/a.ts:2', "must not import 'vscode'");
    });

    it('reports importing tfjs, including a type-only import', () => {
      const result = check({ 'src/analysis/a.ts': "import type { Tensor } from '@tensorflow/tfjs-core';\n" });
      assertSingleViolation(result, 'src/analysis/a.ts:1', 'tfjs');
    });

    it('reports a node: module', () => {
      const result = check({ 'src/analysis/a.ts': "import { readFileSync } from 'node:fs';\n" });
      assertSingleViolation(result, 'src/analysis/a.ts:1', "Node module 'node:fs'");
    });

    it('reports a bare Node builtin and a builtin subpath', () => {
      const result = check({
        'src/analysis/a.ts': "import * as path from 'path';\nimport { readFile } from 'fs/promises';\n",
      });
      assert.equal(result.status, 1);
      assert.deepEqual(
        result.lines.map((l) => l.split(': ')[0]),
        ['src/analysis/a.ts:1', 'src/analysis/a.ts:2'],
      );
      assert.ok(result.lines.every((l) => l.includes('Node module')), result.stdout);
    });

    it('reports a bare package', () => {
      const result = check({ 'src/analysis/a.ts': "import { scaleLinear } from 'd3-scale';\n" });
      assertSingleViolation(result, 'src/analysis/a.ts:1', "package 'd3-scale'");
    });

    it('reports a relative import that leaves src/analysis', () => {
      const result = check({ 'src/analysis/wasm/a.ts': "import { x } from '../../extension/util';\n" });
      assertSingleViolation(result, 'src/analysis/wasm/a.ts:1', 'may only import inside src/analysis');
    });

    it('reports require() and dynamic import(), not only import statements', () => {
      const result = check({
        'src/analysis/a.ts': "const os = require('os');\nexport async function f() {\n  return import('worker_threads');\n}\n",
      });
      assert.equal(result.status, 1);
      assert.deepEqual(
        result.lines.map((l) => l.split(': ')[0]),
        ['src/analysis/a.ts:1', 'src/analysis/a.ts:3'],
      );
    });

    it('reports export-from and gives the line of the specifier in a multi-line import', () => {
      const result = check({
        'src/analysis/a.ts': "import {\n  a,\n  b,\n} from 'vscode';\nexport { c } from 'fs';\n",
      });
      assert.equal(result.status, 1);
      assert.deepEqual(
        result.lines.map((l) => l.split(': ')[0]),
        ['src/analysis/a.ts:4', 'src/analysis/a.ts:5'],
      );
    });
  });

  describe('webview', () => {
    it("reports importing 'vscode'", () => {
      const result = check({ 'webview/main.tsx': "import * as vscode from 'vscode';\n" });
      assertSingleViolation(result, 'webview/main.tsx:1', "webview must not import 'vscode'");
    });

    it('reports importing tfjs', () => {
      const result = check({ 'webview/main.tsx': "import * as tf from '@tensorflow/tfjs';\n" });
      assertSingleViolation(result, 'webview/main.tsx:1', 'webview must not import tfjs');
    });

    it('reports node: modules and Node builtins', () => {
      const result = check({ 'webview/a.ts': "import { EventEmitter } from 'events';\nimport 'node:path';\n" });
      assert.equal(result.status, 1);
      assert.deepEqual(
        result.lines.map((l) => l.split(': ')[0]),
        ['webview/a.ts:1', 'webview/a.ts:2'],
      );
      assert.ok(result.lines.every((l) => l.includes('webview must not import Node module')), result.stdout);
    });

    it('reports importing from src/extension', () => {
      const result = check({ 'webview/panels/a.ts': "import { x } from '../../src/extension/commands';\n" });
      assertSingleViolation(result, 'webview/panels/a.ts:1', 'webview must not import src/extension');
    });

    it('reports acquireVsCodeApi( outside webview/vscodeApi.ts', () => {
      const result = check({
        'webview/vscodeApi.ts': 'export const api = acquireVsCodeApi();\n',
        'webview/main.tsx': 'const a = 1;\nconst api = acquireVsCodeApi();\n',
      });
      assertSingleViolation(result, 'webview/main.tsx:2', 'only webview/vscodeApi.ts may call acquireVsCodeApi()');
    });
  });

  describe('src/extension stays light', () => {
    it('reports importing tfjs', () => {
      const result = check({ 'src/extension/a.ts': "import * as tf from '@tensorflow/tfjs-node';\n" });
      assertSingleViolation(result, 'src/extension/a.ts:1', 'src/extension must not import tfjs');
    });

    it('reports importing webview code other than webview/protocol', () => {
      const result = check({
        'src/extension/a.ts':
          "import { PROTOCOL_VERSION } from '../../webview/protocol';\nimport { App } from '../../webview/main';\n",
      });
      assertSingleViolation(result, 'src/extension/a.ts:2', 'may import only webview/protocol');
    });

    it('reports importing src/compute and src/recorder', () => {
      const result = check({
        'src/extension/panels/a.ts':
          "import { run } from '../../compute/computeWorker';\nimport { record } from '../../recorder';\n",
      });
      assert.equal(result.status, 1);
      assert.equal(result.lines.length, 2, result.stdout);
      assert.ok(result.lines[0].startsWith('src/extension/panels/a.ts:1: src/extension must not import src/compute'));
      assert.ok(result.lines[1].startsWith('src/extension/panels/a.ts:2: src/extension must not import src/recorder'));
    });
  });

  it('lets src/extension reach the analysis service only through its client and protocol', () => {
    const result = check({
      'src/extension/a.ts': "import { AnalysisClient } from '../service/client';\nimport type { ToService } from '../service/protocol';\nimport { AnalysisEngine } from '../service/engine';\n",
    });
    assertSingleViolation(result, 'src/extension/a.ts:3', 'may import only src/service/client and src/service/protocol');
  });

  it('lets the views use the pure analysis core but no engine process code', () => {
    const result = check({
      'webview/views/a.tsx': "import { parseQuery } from '../../src/service/queries';\nimport { AnalysisEngine } from '../../src/service/engine';\n",
      'src/extension/b.ts': "import { webviewPage } from '../../webview/page';\n",
    });
    assertSingleViolation(result, 'webview/views/a.tsx:2', 'webview may import only src/analysis, src/run/format and src/service/queries from src/');
  });

  describe('child-process and CLI code never imports vscode', () => {
    for (const dir of ['src/compute', 'src/recorder', 'src/cli', 'src/data', 'src/service']) {
      it(`reports 'vscode' in ${dir}`, () => {
        const result = check({ [`${dir}/a.ts`]: "import { window } from 'vscode';\n" });
        assertSingleViolation(result, `${dir}/a.ts:1`, `${dir} must not import 'vscode'`);
      });
    }
  });

  it('reports every violation of a tree, one line each, and still exits 1', () => {
    const result = check({
      ...CLEAN_TREE,
      'src/analysis/bad.ts': "import * as vscode from 'vscode';\n",
      'src/cli/bad.ts': "const vscode = require('vscode');\n",
    });
    assert.equal(result.status, 1);
    assert.deepEqual(result.lines, [
      "src/analysis/bad.ts:1: src/analysis must not import 'vscode'",
      "src/cli/bad.ts:1: src/cli must not import 'vscode'",
    ]);
  });
});
