// scripts/onnx-schema.mjs: the descriptor src/onnx/decode.ts loads is the one written from the
// vendored onnx.proto, so an edit of either is seen here (the script's --check compares bytes).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

describe('scripts/onnx-schema.mjs', function () {
  this.timeout(60_000);

  it('finds src/onnx/onnxSchema.json up to date with src/onnx/onnx.proto', () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts/onnx-schema.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
    assert.match(out, /up to date/);
  });
});
