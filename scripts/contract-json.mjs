// @ts-check
// Writes python/cnn_slicer/contract.json, the contract TypeScript and the Python recorder share
// (src/contract/sharedContract.ts: the PyTorch layer classes and ops, the recorded options, the
// recording defaults, the loss's clamp, the seeded generator's known answers), from its TypeScript
// source, bundled in memory by esbuild. The Python package loads the file; `npm run lint` runs the check.
// Usage: node scripts/contract-json.mjs [--check]   (--check: exit 1 when the file is out of date)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeOrCheck } from './generatedFile.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const bundle = await build({
  entryPoints: [join(root, 'src', 'contract', 'sharedContract.ts')],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  logLevel: 'error',
});
/** @type {unknown} */
const loaded = await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString('base64')}`);
const contract = /** @type {{ sharedContractText: () => string, SHARED_CONTRACT_FILE: string }} */ (loaded);
const text = contract.sharedContractText();
writeOrCheck({
  root,
  file: contract.SHARED_CONTRACT_FILE,
  text,
  command: 'npm run contract',
  upToDate: `contract: ${contract.SHARED_CONTRACT_FILE} is up to date`,
  written: `contract: ${contract.SHARED_CONTRACT_FILE} written (${text.length} bytes)`,
});
