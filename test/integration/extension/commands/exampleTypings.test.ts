// "Open the example model" in a workspace without TensorFlow.js installed: the TensorFlow.js
// declarations and a tsconfig.json go beside it, and the TypeScript compiler then checks the
// example (and a model using more of the API) with no error — where before the import was
// "Cannot find module". A workspace with its own TypeScript setup or its own tfjs is left alone.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TYPES_FOLDER, writeExampleTypings } from '../../../../src/extension/commands/exampleTypings';

const ROOT = resolve(__dirname, '../../../..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/**
 * The TypeScript that VS Code bundles (its TypeScript server checks the workspace), from the
 * code-server the integration tests install (docs/testing.md "The cache"); undefined before that install.
 */
function vscodeTypescript(): string | undefined {
  const cache = process.env.CNN_SLICER_TEST_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cnn-slicer-test');
  const servers = existsSync(cache) ? readdirSync(cache).filter((f) => f.startsWith('code-server-')) : [];
  return servers
    .map((f) => join(cache, f, 'node_modules', 'code-server', 'lib', 'vscode', 'extensions', 'node_modules', 'typescript'))
    .find((dir) => existsSync(join(dir, 'lib', 'typescript.js')));
}

type Ts = typeof import('typescript');

/** Every diagnostic the TypeScript at `tsPath` gives the workspace's tsconfig.json: its options' and its files'. */
function diagnostics(tsPath: string, workspace: string): string[] {
  const ts = createRequire(__filename)(tsPath) as Ts;
  const problems: string[] = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(workspace, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => problems.push(ts.flattenDiagnosticMessageText(d.messageText, ' ')),
    },
  );
  if (!parsed) return problems;
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, configFileParsingDiagnostics: parsed.errors });
  for (const d of [...parsed.errors, ...ts.getPreEmitDiagnostics(program)])
    problems.push(`${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  return problems;
}

/** The compiler's errors for the workspace's tsconfig.json ('' when there are none). */
function typeErrors(workspace: string): string {
  try {
    execFileSync(process.execPath, [TSC, '-p', workspace], { encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}

describe('the example model type-checks in a workspace without TensorFlow.js', function () {
  this.timeout(120_000);
  let workspace: string;
  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), 'cnn-slicer-example-'));
    copyFileSync(join(ROOT, 'examples', 'mnist-lenet.ts'), join(workspace, 'mnist-lenet.ts'));
  });
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));

  it('writes the declarations and a tsconfig.json, and the example and the API it uses check without errors', () => {
    // Without them, the compiler cannot find the module (what the TS server showed as red).
    writeFileSync(join(workspace, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [] } }));
    assert.match(typeErrors(workspace), /Cannot find module '@tensorflow\/tfjs'/);
    rmSync(join(workspace, 'tsconfig.json'));

    assert.equal(writeExampleTypings(ROOT, workspace), 'written');
    assert.ok(existsSync(join(workspace, TYPES_FOLDER, '@tensorflow', 'tfjs-layers', 'dist', 'index.d.ts')));
    assert.ok(!existsSync(join(workspace, TYPES_FOLDER, '@tensorflow', 'tfjs-core', 'dist', 'tf-core.js')), 'declarations only');
    // A model that uses more of the API than the example: the types are the real ones, not `any`.
    writeFileSync(
      join(workspace, 'more.ts'),
      `import * as tf from '@tensorflow/tfjs';\n` +
        `export function createModel(): tf.LayersModel {\n` +
        `  const input = tf.input({ shape: [32, 32, 3] });\n` +
        `  const x = tf.layers.conv2d({ filters: 8, kernelSize: 3 }).apply(input) as tf.SymbolicTensor;\n` +
        `  const y = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(tf.layers.flatten().apply(x)) as tf.SymbolicTensor;\n` +
        `  return tf.model({ inputs: input, outputs: y });\n}\n` +
        `export const t: tf.Tensor = tf.zeros([2, 2]);\n`,
    );
    assert.equal(typeErrors(workspace), '');
    // And a real type error is still one.
    writeFileSync(
      join(workspace, 'wrong.ts'),
      `import * as tf from '@tensorflow/tfjs';\nexport const n: number = tf.layers.dense({ units: 3 });\n`,
    );
    assert.match(typeErrors(workspace), /wrong\.ts.*is not assignable to type 'number'/);
  });

  it("writes a tsconfig.json with no diagnostics, under VS Code's own TypeScript (6) too: no option it deprecates", () => {
    assert.equal(writeExampleTypings(ROOT, workspace), 'written');
    const text = readFileSync(join(workspace, 'tsconfig.json'), 'utf8');
    const ts = createRequire(__filename)('typescript') as Ts;
    const options = (ts.parseConfigFileTextToJson('tsconfig.json', text).config as { compilerOptions: Record<string, string | undefined> })
      .compilerOptions;
    // What TypeScript 6 reports as errors ("will stop functioning in TypeScript 7.0"): VS Code showed two on this file.
    assert.ok(
      !['node', 'node10', 'classic'].includes(String(options.moduleResolution).toLowerCase()),
      `moduleResolution ${options.moduleResolution ?? ''}`,
    );
    assert.ok(!('baseUrl' in options), 'baseUrl');
    assert.ok(!['none', 'amd', 'system', 'umd'].includes(String(options.module).toLowerCase()), `module ${options.module ?? ''}`);
    assert.ok(!['es3', 'es5'].includes(String(options.target).toLowerCase()), `target ${options.target ?? ''}`);
    assert.ok(!('outFile' in options) && !('ignoreDeprecations' in options));
    assert.deepEqual(diagnostics(join(ROOT, 'node_modules', 'typescript'), workspace), []);
    const bundled = vscodeTypescript();
    if (bundled) assert.deepEqual(diagnostics(bundled, workspace), [], `VS Code's TypeScript at ${bundled}`);
  });

  it('leaves a workspace alone that has its own tsconfig.json or its own @tensorflow/tfjs', () => {
    writeFileSync(join(workspace, 'tsconfig.json'), '{}');
    assert.equal(writeExampleTypings(ROOT, workspace), 'has-config');
    assert.equal(readFileSync(join(workspace, 'tsconfig.json'), 'utf8'), '{}');
    rmSync(join(workspace, 'tsconfig.json'));
    mkdirSync(join(workspace, 'node_modules', '@tensorflow', 'tfjs'), { recursive: true });
    writeFileSync(join(workspace, 'node_modules', '@tensorflow', 'tfjs', 'package.json'), '{}');
    assert.equal(writeExampleTypings(ROOT, workspace), 'has-tfjs');
    assert.ok(!existsSync(join(workspace, TYPES_FOLDER)));
  });
});
