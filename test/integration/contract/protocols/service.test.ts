// The analysis service's boundary (src/contract/protocols/service.ts over src/rpc), from both ends: the real
// service process answers malformed requests with errors and keeps serving, and the parent
// (AnalysisClient) refuses malformed answers, a wrong protocol version and a service that never
// says hello, with messages that say what happened.
import assert from 'node:assert/strict';
import { ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AnalysisClient } from '../../../../src/service/client';
import { SERVICE_PROTOCOL_VERSION, toQueryError } from '../../../../src/contract/protocols/service';
import { Query, QueryError } from '../../../../src/contract/queries';
import { RpcError } from '../../../../src/contract/messages';

const serviceScript = resolve(__dirname, '../../../../dist/service.js');

/**
 * A stand-in service: says hello with `version`, then answers each query by the run it names, the
 * way a broken or foreign service might.
 */
const FAKE_SERVICE = (version: number | null) => `
const send = (m) => process.send(m);
process.on('message', (m) => {
  if (!m || m.type !== 'request') return;
  const id = m.id;
  switch (m.params.run) {
    case 'ok': return send({ type: 'result', id, result: { answer: { epochs: [0], classNames: [], trainLoss: [null], trainAccuracy: [null], probeLoss: [1], probeAccuracy: [0.5], hLabelGivenPred: [], hPredGivenLabel: [] }, cached: false, ms: 1 } });
    case 'result-not-an-answer': return send({ type: 'result', id, result: { answer: 5, cached: 'no', ms: 1 } });
    case 'error-without-message': return send({ type: 'error', id, error: { code: 'internal' } });
    case 'bad-progress':
      send({ type: 'progress', id, value: { fraction: 'half' } });
      return send({ type: 'result', id, result: { answer: { manifest: {}, notes: [] }, cached: true, ms: 0 } });
    case 'garbage': return send({ id, hello: 'there' });
    case 'coded-error': return send({ type: 'error', id, error: { code: 'epoch-not-recorded', message: 'epoch 9 is not recorded' } });
  }
});
${version === null ? '' : `send(42); send({ type: 'notification', method: 'hello' }); send({ type: 'notification', method: 'hello', params: { protocolVersion: ${version}, pid: process.pid } });`}
setInterval(() => undefined, 1000);
`;

describe('analysis service protocol', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    assert.ok(existsSync(serviceScript), 'run npm run build first');
    dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-service-protocol-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const fake = (name: string, version: number | null) => {
    const file = join(dir, `${name}.js`);
    writeFileSync(file, FAKE_SERVICE(version));
    return file;
  };

  describe('the service process', () => {
    let child: ChildProcess;
    const answers = new Map<number, { type: string; error?: { code: string; message: string } }>();
    before(async () => {
      child = fork(serviceScript, [JSON.stringify([dir])], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      child.stderr?.resume();
      child.on('message', (m: { id?: number; type: string; error?: { code: string; message: string } }) => {
        if (typeof m.id === 'number') answers.set(m.id, m);
      });
      await new Promise<void>((ready) => child.once('message', () => ready()));
    });
    after(() => child.kill());

    const answerTo = async (id: number) => {
      for (let i = 0; i < 200 && !answers.has(id); i++) await new Promise((r) => setTimeout(r, 25));
      return answers.get(id);
    };

    it('answers malformed requests with bad-request naming the problem, and garbage with an id with an error', async () => {
      child.send(42);
      child.send({ type: 'notification', method: 'configure', params: { roots: 5 } });
      child.send({ type: 'request', id: 1, method: 'query', params: { run: '', query: { kind: 'run' } } });
      child.send({ type: 'request', id: 2, method: 'query', params: { run: 'x', query: { kind: 'bogus' } } });
      child.send({ type: 'request', id: 3, method: 'reformat disk', params: {} });
      child.send({ type: 'bogus', id: 4 });
      const [one, two, three, four] = await Promise.all([1, 2, 3, 4].map(answerTo));
      assert.deepEqual(one?.error?.code, 'bad-request');
      assert.match(one?.error?.message ?? '', /run: "run" must be the path of a run folder/);
      assert.deepEqual(two?.error?.code, 'bad-request');
      assert.match(two?.error?.message ?? '', /query: unknown query kind "bogus"; known kinds: run, training/);
      assert.deepEqual(three?.error?.code, 'unknown-method');
      assert.deepEqual(four?.error?.code, 'bad-request');
    });

    it('refuses a priority outside visible, soon and background, naming them', async () => {
      child.send({ type: 'request', id: 6, method: 'query', params: { run: '/etc', query: { kind: 'run' }, priority: 'urgent' } });
      child.send({ type: 'request', id: 7, method: 'query', params: { run: '/etc', query: { kind: 'run' }, priority: 'background' } });
      const [six, seven] = await Promise.all([6, 7].map(answerTo));
      assert.equal(six?.error?.code, 'bad-request');
      assert.match(six?.error?.message ?? '', /priority: "priority" must be one of visible, soon, background/);
      // A valid priority passes the check: the query itself is then refused for its run.
      assert.equal(seven?.error?.code, 'unknown-run');
    });

    it('takes the panel that asks and where it stands: an asker passes the checks, a standing notification is taken, a malformed asker is refused', async () => {
      child.send({ type: 'notification', method: 'standing', params: { asker: 'panel-1', behind: true } });
      child.send({ type: 'notification', method: 'standing', params: { asker: 7, behind: 'yes' } });
      child.send({ type: 'request', id: 8, method: 'query', params: { run: '/etc', query: { kind: 'run' }, asker: 'panel-1' } });
      child.send({ type: 'request', id: 9, method: 'query', params: { run: '/etc', query: { kind: 'run' }, asker: 3 } });
      const [eight, nine] = await Promise.all([8, 9].map(answerTo));
      assert.equal(eight?.error?.code, 'unknown-run');
      assert.equal(nine?.error?.code, 'bad-request');
      assert.match(nine?.error?.message ?? '', /asker: "asker" must be a string/);
      assert.equal(child.exitCode, null);
    });

    it('keeps serving after them: a well-formed query gets its typed answer', async () => {
      child.send({ type: 'request', id: 5, method: 'query', params: { run: '/etc', query: { kind: 'run' } } });
      const five = await answerTo(5);
      assert.equal(five?.error?.code, 'unknown-run');
      assert.equal(child.exitCode, null);
    });
  });

  describe('the parent (AnalysisClient)', () => {
    it('is told by each service it starts which engine computes PyTorch runs: the native one, or why not', async () => {
      for (const env of [{}, { CNN_SLICER_ENGINE: 'wasm' }]) {
        const engines: { native: boolean; line: string }[] = [];
        const saved = process.env.CNN_SLICER_ENGINE;
        Object.assign(process.env, env);
        const client = new AnalysisClient({ roots: [dir], onEngine: (e) => engines.push(e) });
        try {
          await assert.rejects(client.query('/nowhere', { kind: 'run' }));
        } finally {
          client.dispose();
          if (saved === undefined) delete process.env.CNN_SLICER_ENGINE;
          else process.env.CNN_SLICER_ENGINE = saved;
        }
        assert.equal(engines.length, 1);
        if ('CNN_SLICER_ENGINE' in env) assert.equal(engines[0].native, false);
        if ('CNN_SLICER_ENGINE' in env)
          assert.match(engines[0].line, /not in use \(CNN_SLICER_ENGINE=wasm\): PyTorch runs are computed on WebAssembly/);
        else assert.match(engines[0].line, engines[0].native ? /ONNX Runtime .* provider cpu/ : /not in use/);
      }
    });

    it('turns a query the service refuses as malformed into a bad-query error', async () => {
      const client = new AnalysisClient({ roots: [dir] });
      try {
        await assert.rejects(
          client.query('/nowhere', { kind: 'bogus' } as unknown as Query),
          (e: QueryError) => e.code === 'bad-query' && /unknown query kind "bogus"/.test(e.message),
        );
      } finally {
        client.dispose();
      }
    });

    it('refuses malformed answers with a message saying so, logs them, and keeps working', async () => {
      const log: string[] = [];
      const client = new AnalysisClient({ roots: [dir], script: fake('malformed', SERVICE_PROTOCOL_VERSION), log: (l) => log.push(l) });
      try {
        await assert.rejects(
          client.query('result-not-an-answer', { kind: 'run' }),
          (e: QueryError) =>
            e.code === 'internal' &&
            /the analysis service answered "query" with a malformed result \(answer: an answer must be an object/.test(e.message),
        );
        await assert.rejects(
          client.query('error-without-message', { kind: 'run' }),
          (e: QueryError) => e.code === 'internal' && /malformed answer/.test(e.message),
        );
        await assert.rejects(client.query('coded-error', { kind: 'run' }), (e: QueryError) => e.code === 'epoch-not-recorded');
        const progress: number[] = [];
        const r = await client.query('bad-progress', { kind: 'run' }, { onProgress: (f) => progress.push(f) });
        assert.equal(r.cached, true);
        assert.deepEqual(progress, []);
        await assert.rejects(client.query('garbage', { kind: 'run' }), (e: QueryError) => e.code === 'internal');
        assert.deepEqual((await client.query('ok', { kind: 'training' })).answer.epochs, [0]);
        await assert.rejects(
          client.query('ok', { kind: 'run' }),
          (e: QueryError) => e.code === 'internal' && /malformed run answer at manifest/.test(e.message),
          'an answer is checked against the schema of the kind asked',
        );
        const text = log.join('\n');
        assert.match(text, /ignored a malformed message from the analysis service .*: 42/);
        assert.match(text, /ignored a malformed "hello" notification/);
        assert.match(text, /malformed progress report/);
      } finally {
        client.dispose();
      }
    });

    it('refuses a service that speaks another protocol version', async () => {
      const client = new AnalysisClient({ roots: [dir], script: fake('old', 1), log: () => undefined });
      try {
        await assert.rejects(
          client.query('ok', { kind: 'run' }),
          new RegExp(`speaks protocol 1, expected ${SERVICE_PROTOCOL_VERSION}; reinstall CNN Slicer`),
        );
      } finally {
        client.dispose();
      }
    });

    it('gives up a service that never says hello, and starts a new one for the next query', async () => {
      const client = new AnalysisClient({ roots: [dir], script: fake('mute', null), startTimeoutMs: 300 });
      try {
        await assert.rejects(client.query('ok', { kind: 'run' }), /the analysis service did not start within 0.3 s/);
        const first = client.pid;
        await new Promise((r) => setTimeout(r, 200)); // the mute service is killed and forgotten
        await assert.rejects(client.query('ok', { kind: 'run' }), /did not start/);
        assert.notEqual(client.pid, first);
      } finally {
        client.dispose();
      }
    });

    it('reports a Node executable that does not exist instead of crashing', async () => {
      const client = new AnalysisClient({ roots: [dir], execPath: '/no/such/node' });
      try {
        await assert.rejects(
          client.query('ok', { kind: 'run' }),
          /could not start the analysis service .*ENOENT.*cnnSlicer\.nodeExecutable|the analysis service stopped/,
        );
      } finally {
        client.dispose();
      }
    });

    it("maps the channel's own errors onto query error codes", () => {
      assert.equal(toQueryError(new RpcError('bad-request', 'x')).code, 'bad-query');
      assert.equal(toQueryError(new RpcError('unknown-method', 'x')).code, 'bad-query');
      assert.equal(toQueryError(new RpcError('out-of-range', 'x')).code, 'out-of-range');
      assert.equal(toQueryError(new RpcError('timeout', 'x')).code, 'internal');
      assert.equal(toQueryError(new RpcError('closed', 'x')).code, 'internal');
      assert.equal(toQueryError(new Error('x')).code, 'internal');
    });
  });
});
