/**
 * The unit tier's guard (loaded first by .mocharc.json): a unit test runs in this process only. It
 * may not start a process (node:child_process) nor a worker thread from a file (the bundled workers
 * of dist/ are built by `npm run build`, which the unit tier never waits for). A test that needs
 * either belongs in test/integration/ (docs/testing.md, "Tiers"); the error says so at the call.
 *
 * A library's own helper process or thread (esbuild's service, which tsx and the bundling tests use)
 * is its business, not the test's: calls from inside node_modules pass.
 *
 * Set CNN_SLICER_UNIT_GUARD=0 to run a unit file under another tier's rules (never in `npm test`).
 */
import childProcess from 'node:child_process';
import workerThreads from 'node:worker_threads';

/** Whether the call being made comes from a library's code rather than a test's or CNN Slicer's. */
function fromLibrary(): boolean {
  const frames = (new Error().stack ?? '').split('\n').slice(3);
  return frames.length > 0 && frames[0].includes('/node_modules/');
}

const MOVE = 'runs in this process only: move the test to test/integration/ (docs/testing.md, "Tiers")';

if (process.env.CNN_SLICER_UNIT_GUARD !== '0') {
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
    const real = childProcess[name] as (...args: unknown[]) => unknown;
    Object.defineProperty(childProcess, name, {
      configurable: true,
      writable: true,
      value: function (this: unknown, ...args: unknown[]): unknown {
        if (!fromLibrary()) throw new Error(`child_process.${name}: the unit tier ${MOVE}`);
        return real.apply(this, args);
      },
    });
  }
  const RealWorker = workerThreads.Worker;
  class InProcessWorker extends RealWorker {
    constructor(filename: string | URL, options?: workerThreads.WorkerOptions) {
      if (!options?.eval && !fromLibrary()) throw new Error(`new Worker(${String(filename)}): the unit tier ${MOVE}`);
      super(filename, options);
    }
  }
  Object.defineProperty(workerThreads, 'Worker', { configurable: true, writable: true, value: InProcessWorker });
}
