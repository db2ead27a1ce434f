import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointFolder, claimRunFolder, isCheckpointFile, makeRunId, RUN_ID } from '../../../src/run/paths';
import { RunWriter } from '../../../src/run/writer';

describe('run ids name the model', () => {
  const date = new Date('2026-11-22T10:45:01Z');

  it('names a model module by its file name', () => {
    assert.equal(makeRunId(join('/work', 'models', 'mnist-lenet.ts'), date), '20261122-104501-mnist-lenet');
  });

  it('names a converted model.json by its folder, since every converter calls the file model.json', () => {
    assert.equal(makeRunId(join('/work', 'zoo', 'resnet 18 keras', 'model.json'), date, 'sequential_1'), '20261122-104501-resnet-18-keras');
    assert.match(makeRunId(join('/work', 'zoo', 'resnet 18 keras', 'model.json'), date), RUN_ID);
  });

  it("names a model.json at the file-system root by the model's own name", () => {
    assert.equal(makeRunId('/model.json', date, 'lenet_keras'), '20261122-104501-lenet_keras');
    assert.equal(makeRunId('/model.json', date), '20261122-104501-model');
  });

  it('keeps the file name of a .json file that is not called model.json', () => {
    assert.equal(makeRunId(join('/work', 'zoo', 'lenet.json'), date), '20261122-104501-lenet');
  });
});

describe("a run's checkpoint is not a model of the user's", () => {
  const runs = join('/work', 'project', '.cnnslicer', 'runs');

  it("knows a checkpoint's model.json inside a runs folder", () => {
    assert.equal(isCheckpointFile([runs], join(runs, '20261122-104501-lenet', 'checkpoints', 'epoch-0003', 'model.json')), true);
    assert.equal(isCheckpointFile(['/elsewhere', runs], join(checkpointFolder(join(runs, 'r1'), 0), 'model.json')), true);
    assert.equal(isCheckpointFile([runs], join(runs, 'r1', 'epoch-0003', 'model.json')), false, 'not in the checkpoints folder');
  });

  it('knows the model.json of a checkpoint the run writer wrote', () => {
    const root = mkdtempSync(join(tmpdir(), 'cnnslicer-checkpoint-'));
    try {
      const writer = RunWriter.claim(join(root, 'runs'), '20261124-100000-lenet');
      const folder = checkpointFolder(writer.folder, 2);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'model.json'), '{}');
      assert.equal(isCheckpointFile([join(root, 'runs')], join(folder, 'model.json')), true);
      assert.equal(existsSync(join(writer.folder, 'checkpoints')), true, 'the writer made the checkpoints folder this names');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("leaves the user's own files alone, even in a runs folder set to the workspace itself", () => {
    const workspace = join('/work', 'project');
    assert.equal(isCheckpointFile([runs], join(workspace, 'model', 'model.json')), false);
    assert.equal(isCheckpointFile([workspace], join(workspace, 'model', 'model.json')), false, 'not an epoch folder');
    assert.equal(isCheckpointFile([workspace], join(workspace, 'src', 'model.ts')), false);
    assert.equal(isCheckpointFile([runs], join(runs, 'r1', 'manifest.json')), false);
    assert.equal(isCheckpointFile([runs], join(runs, 'r1', 'checkpoints', 'epoch-0003', 'weights.bin')), false);
    assert.equal(isCheckpointFile([runs], join(runs, '..', 'model.json')), false);
  });
});

describe('a runs folder a recording creates stays out of Git and Quick Open', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'cnnslicer-gitignore-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' });

  it('writes a .gitignore of * into the runs folder it creates: git sees none of the run, and the user can still commit the model', () => {
    git('init', '-q');
    writeFileSync(join(root, 'model.ts'), 'export {};\n');
    const runs = join(root, '.cnnslicer', 'runs');
    const { folder } = claimRunFolder(runs, '20261124-100000-model');
    mkdirSync(join(folder, 'epoch-0001'));
    writeFileSync(join(folder, 'epoch-0001', 'model.json'), '{}');
    writeFileSync(join(folder, 'manifest.json'), '{}');
    assert.match(readFileSync(join(runs, '.gitignore'), 'utf8'), /^\*$/m);
    assert.deepEqual(git('status', '--porcelain', '--untracked-files=all').trim().split('\n'), ['?? model.ts']);
  });

  it('leaves a runs folder that exists alone, and does not write the file again once the user deleted it', () => {
    const runs = join(root, 'runs');
    mkdirSync(runs);
    claimRunFolder(runs, '20261124-100000-model');
    assert.equal(existsSync(join(runs, '.gitignore')), false, 'a folder the user made (or the workspace itself) gets no .gitignore');
    const fresh = join(root, 'fresh');
    claimRunFolder(fresh, '20261124-100000-model');
    rmSync(join(fresh, '.gitignore'));
    claimRunFolder(fresh, '20261124-100001-model');
    assert.equal(existsSync(join(fresh, '.gitignore')), false);
  });
});
