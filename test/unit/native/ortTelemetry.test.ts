/** src/native/ortTelemetry.ts: ONNX Runtime's telemetry variable set on a main thread, a user's value kept, a worker only checking. */
import assert from 'node:assert/strict';
import { keepOrtTelemetryOff, ORT_TELEMETRY_VARIABLE } from '../../../src/native/ortTelemetry';

describe('keepOrtTelemetryOff', () => {
  it('sets ORT_DISABLE_TELEMETRY=1 on a main thread where it is unset', () => {
    const env: NodeJS.ProcessEnv = {};
    assert.equal(keepOrtTelemetryOff(env, true), true);
    assert.equal(env[ORT_TELEMETRY_VARIABLE], '1');
  });

  it("keeps the user's own value", () => {
    const env: NodeJS.ProcessEnv = { [ORT_TELEMETRY_VARIABLE]: '0' };
    assert.equal(keepOrtTelemetryOff(env, true), true);
    assert.equal(env[ORT_TELEMETRY_VARIABLE], '0');
  });

  it('on a worker thread only says whether it is set: its process.env does not reach the runtime', () => {
    const env: NodeJS.ProcessEnv = {};
    assert.equal(keepOrtTelemetryOff(env, false), false);
    assert.deepEqual(env, {});
    assert.equal(keepOrtTelemetryOff({ [ORT_TELEMETRY_VARIABLE]: '1' }, false), true);
  });
});
