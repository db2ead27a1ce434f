// The extension host's side of a recording (src/recorder/client.ts) against the real
// recorder process: a recording that finishes, one cancelled mid-way, a model that throws, and a
// recorder killed from outside — each with the outcome the user is told about.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RecorderClient, RecorderClientOptions } from '../../../src/recorder/client';
import { describeProgress, formatEta } from '../../../src/extension/recording/recordingProgress';
import { RECORDER_PROTOCOL_VERSION, RecordProgress } from '../../../src/contract/protocols/recorder';
import { readRun } from '../../../src/run/store';

const script = resolve(__dirname, '../../../dist/recorder.js');
const model = resolve(__dirname, '../../fixtures/models/multiFile.ts');

/** A recording that has recorded epoch `epoch` (so it is under way when the test acts on it). */
function startedRecording(options: RecorderClientOptions['options'], epoch: number): Promise<RecorderClient> {
  return new Promise((started) => {
    const c: RecorderClient = new RecorderClient({ script, options, events: { onEpoch: (e) => e.epoch === epoch && started(c) } });
  });
}

describe('recorder client (extension host side of a recording)', function () {
  this.timeout(120_000);
  let runs: string;
  before(() => {
    assert.ok(existsSync(script), 'run npm run build first');
    runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-recorder-client-'));
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('records a run and reports progress, the folder, each epoch and the outcome', async () => {
    const progress: RecordProgress[] = [];
    const epochs: number[] = [];
    let folderEvent = '';
    const c = new RecorderClient({
      script,
      options: {
        modelFile: model,
        dataset: 'synthetic:120',
        epochs: 2,
        batchSize: 16,
        probeSize: 30,
        runsFolder: runs,
        k: 10,
        defaults: { epochs: 9 },
      },
      events: { onProgress: (p) => progress.push(p), onRunFolder: (f) => (folderEvent = f), onEpoch: (e) => epochs.push(e.epoch) },
    });
    const outcome = await c.done;
    assert.equal(outcome.kind, 'done');
    assert.ok(outcome.kind === 'done' && outcome.status === 'completed');
    assert.equal(c.folder, folderEvent);
    assert.deepEqual(epochs, [0, 1, 2]);
    assert.ok(progress.some((p) => p.phase === 'training'));
    // Explicit epochs win over the editor's default.
    assert.equal(readRun(c.folder).manifest.settings.epochs, 2);
  });

  it("uses the editor's default epochs when neither the options nor the model set them", async () => {
    const untrained = resolve(__dirname, '../../fixtures/models/untrained.ts');
    const c = new RecorderClient({
      script,
      options: {
        modelFile: untrained,
        dataset: 'synthetic:60',
        probeSize: 20,
        runsFolder: runs,
        k: 5,
        defaults: { epochs: 1, batchSize: 12 },
      },
    });
    const outcome = await c.done;
    assert.equal(outcome.kind, 'done', JSON.stringify(outcome));
    assert.deepEqual([readRun(c.folder!).manifest.settings.epochs, readRun(c.folder!).manifest.settings.batchSize], [1, 12]);
  });

  it('cancels after the current batch and keeps the completed epochs', async () => {
    const c = await startedRecording(
      { modelFile: model, dataset: 'synthetic:600', epochs: 200, batchSize: 8, probeSize: 30, runsFolder: runs, k: 10 },
      1,
    );
    c.cancel();
    const outcome = await c.done;
    assert.deepEqual(outcome.kind === 'done' && outcome.status, 'cancelled');
    const run = readRun(c.folder!);
    assert.equal(run.manifest.status, 'cancelled');
    assert.ok(run.manifest.epochs.length >= 2);
  });

  it('honours a cancel while a tiny model trains epoch after epoch without waiting on I/O', async () => {
    const c = await startedRecording(
      { modelFile: resolve(__dirname, '../../vscode/fixture/tiny-model.ts'), epochs: 2000, probeSize: 40, runsFolder: runs, k: 10 },
      20,
    );
    c.cancel();
    const outcome = await c.done;
    assert.ok(outcome.kind === 'done' && outcome.status === 'cancelled', JSON.stringify(outcome));
    assert.ok(readRun(c.folder!).manifest.epochs.length < 2000);
  });

  it('reports a model that throws with its message and source location', async () => {
    const c = new RecorderClient({
      script,
      options: { modelFile: resolve(__dirname, '../../fixtures/models/throws.ts'), runsFolder: runs },
    });
    const outcome = await c.done;
    assert.equal(outcome.kind, 'failed');
    assert.ok(outcome.kind === 'failed');
    assert.match(outcome.message, /out of coffee/);
    assert.match(outcome.location?.file ?? '', /throws\.ts$/);
  });

  it('says the recorder died, where it had got to, and that completed epochs are on disk, when it is killed', async () => {
    const c = await startedRecording(
      { modelFile: model, dataset: 'synthetic:600', epochs: 200, batchSize: 8, probeSize: 30, runsFolder: runs, k: 10 },
      1,
    );
    process.kill(c.pid!, 'SIGKILL');
    const outcome = await c.done;
    assert.equal(outcome.kind, 'died');
    assert.ok(outcome.kind === 'died');
    assert.match(outcome.message, /stopped unexpectedly \(SIGKILL\)/);
    assert.ok(outcome.kind === 'died' && outcome.folder === c.folder && outcome.epochs.length >= 2, JSON.stringify(outcome));
    assert.ok(readRun(c.folder!).manifest.epochs.length >= 2);
  });

  it('reports a Node executable that does not exist', async () => {
    const c = new RecorderClient({ script, execPath: '/no/such/node', options: { modelFile: model, runsFolder: runs } });
    const outcome = await c.done;
    assert.notEqual(outcome.kind, 'done');
    assert.match('message' in outcome ? outcome.message : '', /cnnSlicer\.nodeExecutable|ENOENT|stopped unexpectedly/);
  });

  it('refuses malformed messages from the recorder: logged, never passed on, and a malformed answer fails the recording', async () => {
    const script = join(runs, 'fakeRecorder.js');
    writeFileSync(
      script,
      `const send = (m) => process.send(m);
process.on('message', (m) => {
  if (m.type !== 'request') return;
  send({ type: 'notification', method: 'record/epoch', params: { epoch: 'three', probeAccuracy: 1, recordMs: 1, trainLoss: null } });
  send({ type: 'notification', method: 'record/progress', params: { phase: 'napping' } });
  send({ type: 'result', id: m.id, result: { folder: 5, status: 'completed' } });
  setTimeout(() => process.exit(0), 50);
});
send(null);
send({ type: 'notification', method: 'recorder/hello', params: { protocolVersion: ${RECORDER_PROTOCOL_VERSION}, pid: process.pid } });
`,
    );
    const log: string[] = [];
    const epochs: unknown[] = [];
    const progress: unknown[] = [];
    const c = new RecorderClient({
      script,
      options: { modelFile: model },
      events: { onLog: (l) => log.push(l), onEpoch: (e) => epochs.push(e), onProgress: (p) => progress.push(p) },
    });
    const outcome = await c.done;
    assert.equal(outcome.kind, 'failed');
    assert.match(
      outcome.kind === 'failed' ? outcome.message : '',
      /the recorder answered "record\/start" with a malformed result \(folder: Invalid type/,
    );
    assert.deepEqual([epochs, progress, c.lastProgress], [[], [], undefined]);
    assert.match(log.join('\n'), /ignored a malformed message from the recorder .*: null/);
    assert.match(log.join('\n'), /ignored a malformed "record\/epoch" notification from the recorder: epoch: Invalid type/);
    assert.match(log.join('\n'), /ignored a malformed "record\/progress" notification/);
  });

  it('the recorder refuses a malformed start with an error naming the problem, and garbage with a log line', async () => {
    const child = fork(script, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    try {
      const seen: { type: string; id?: number; method?: string; params?: { line?: string }; error?: { code: string; message: string } }[] =
        [];
      child.on('message', (m: (typeof seen)[number]) => seen.push(m));
      await new Promise((r) => child.once('message', r)); // hello
      child.send(17);
      child.send({
        type: 'request',
        id: 1,
        method: 'record/start',
        params: { protocolVersion: RECORDER_PROTOCOL_VERSION, options: { modelFile: 42 } },
      });
      child.send({
        type: 'request',
        id: 2,
        method: 'record/start',
        params: { protocolVersion: RECORDER_PROTOCOL_VERSION, options: { modelFile: model, optimizer: 'telepathy' } },
      });
      for (let i = 0; i < 200 && seen.filter((m) => m.type === 'error').length < 2; i++) await new Promise((r) => setTimeout(r, 25));
      const errors = seen.filter((m) => m.type === 'error');
      assert.deepEqual(
        errors.map((m) => [m.id, m.error?.code]),
        [
          [1, 'bad-request'],
          [2, 'bad-request'],
        ],
      );
      assert.match(errors[0].error!.message, /malformed "record\/start" request: options\.modelFile: Invalid type/);
      assert.match(errors[1].error!.message, /options\.optimizer: Invalid type/);
      assert.ok(
        seen.some(
          (m) => m.method === 'record/log' && /ignored a malformed message from the parent process .*: 17/.test(m.params?.line ?? ''),
        ),
      );
      assert.equal(child.exitCode, null, 'the recorder is still waiting for a well-formed start');
    } finally {
      child.kill();
    }
  });

  it('gives up a recorder that never says hello, instead of waiting for it forever', async () => {
    const script = join(runs, 'muteRecorder.js');
    writeFileSync(script, 'setInterval(() => undefined, 1000);\n');
    const c = new RecorderClient({ script, options: { modelFile: model }, startTimeoutMs: 300 });
    const outcome = await c.done;
    assert.equal(outcome.kind, 'failed');
    assert.match(
      outcome.kind === 'failed' ? outcome.message : '',
      /the recorder did not start within 0.3 s; check the setting cnnSlicer\.nodeExecutable/,
    );
  });

  it('formats the status bar text: model, epoch n/N, percentage, ETA', () => {
    assert.equal(formatEta(65_000), '1m05s');
    assert.equal(formatEta(4_000), '4s');
    assert.equal(formatEta(3_725_000), '1h02m');
    assert.equal(formatEta(undefined), undefined);
    assert.equal(describeProgress('lenet.ts', undefined), 'lenet.ts: starting…');
    assert.equal(
      describeProgress('lenet.ts', { phase: 'loading', epoch: 0, epochs: 0, batch: 0, batches: 0, fraction: 0, message: 'loading mnist' }),
      'lenet.ts: loading mnist',
    );
    assert.equal(
      describeProgress('lenet.ts', { phase: 'training', epoch: 2, epochs: 5, batch: 3, batches: 10, fraction: 0.434, etaMs: 70_000 }),
      'lenet.ts: epoch 2/5 · 43% · 1m10s left',
    );
  });
});
