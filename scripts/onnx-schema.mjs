// @ts-check
// Writes src/onnx/onnxSchema.json, the protobuf descriptor of src/onnx/onnx.proto (ONNX's schema,
// vendored from Debian's python3-onnx 1.12.0) as protobufjs's JSON. src/onnx/decode.ts loads it with
// protobufjs/light, so no bundle parses a .proto file at run time and dist/ needs no .proto beside it.
// Usage: node scripts/onnx-schema.mjs [--check]   (--check: exit 1 when the descriptor is out of date)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { writeOrCheck } from './generatedFile.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const proto = join(root, 'src', 'onnx', 'onnx.proto');
const schema = new protobuf.Root().loadSync(proto, { keepCase: false }).toJSON();
const out = JSON.stringify(schema, null, 2) + '\n';
writeOrCheck({
  root,
  file: 'src/onnx/onnxSchema.json',
  text: out,
  command: 'node scripts/onnx-schema.mjs',
  upToDate: 'ONNX schema: src/onnx/onnxSchema.json is up to date',
  written: `ONNX schema: src/onnx/onnxSchema.json written (${out.length} bytes)`,
});
