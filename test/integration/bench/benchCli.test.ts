// The bench's command line (node dist/bench.js, a command the README documents) refuses what it
// cannot run in one line and exit code 2, before measuring anything: no stack trace, no silent
// substitute. The checks themselves are tested in-process; a few run through the real built bench.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { caseProblem, onlyProblem, SECTIONS } from '../../../bench/usage';

const BENCH = path.resolve(__dirname, '../../../dist/bench.js');

describe('bench command line', function () {
  this.timeout(120_000);

  it('takes the cases it runs and refuses every other, naming what is wrong', () => {
    for (const ok of [
      'inter:1000',
      'inter1:2',
      'capacity',
      'labelinfo',
      'record-lenet',
      'record-lenet:sequential',
      'record-lenet:overlapped:5000',
      'torch-ours:lenet:5000',
      'torch-ours:cifar:100:profile',
      'zoo:resnet18Quarter',
      'service',
      'network-graph-resnet18',
      'network-graph-resnet18:every-layer',
      'report:/tmp/runs/20261124-105925-resnet18Quarter',
    ])
      assert.equal(caseProblem(ok), undefined, ok);
    const bad: Array<[string, RegExp]> = [
      ['', /unknown bench case ""/],
      ['bogus', /unknown bench case "bogus"/],
      ['inter:abc', /whole number of MNIST inputs from 2 to 60,000/],
      ['inter:-5', /whole number/],
      ['inter:1e9', /whole number/],
      ['inter', /whole number/],
      ['record-lenet:bogus', /record-lenet\[:sequential\|overlapped/],
      ['record-lenet:overlapped:many', /record-lenet/],
      ['capacity:7', /takes no argument/],
      ['torch-ours:vgg:10', /torch-ours:<lenet\|cifar>/],
      ['zoo', /needs a model name/],
      ['report', /needs a recorded run folder/],
      ['network-graph-resnet18:bogus', /network-graph-resnet18\[:every-layer\]/],
    ];
    for (const [name, message] of bad) assert.match(caseProblem(name) ?? '', message, name);
  });

  it('takes known --only sections and refuses an unknown or empty one', () => {
    assert.equal(onlyProblem('views,interactions'), undefined);
    assert.equal(onlyProblem(SECTIONS.join(',')), undefined);
    assert.match(onlyProblem('bogus') ?? '', /unknown section "bogus" \(sections: inter, /);
    assert.match(onlyProblem('views,bogus,nope') ?? '', /unknown sections "bogus", "nope"/);
    assert.match(onlyProblem('') ?? '', /needs section names/);
  });

  it('through the built bench: one line, exit 2, nothing measured', () => {
    const cases: Array<[string[], string]> = [
      [['--only', 'bogus'], 'unknown section "bogus"'],
      [['--case', 'inter:abc'], 'whole number of MNIST inputs'],
      [['--case', 'record-lenet:bogus'], 'record-lenet['],
      [['--case', 'zoo:bogus'], 'unknown zoo model bogus'],
      [['--zoo', '--zoo-inputs', '0'], '--zoo-inputs takes a whole number'],
      [['--zoo', '--zoo-cpu-fraction', '0.5x'], '--zoo-cpu-fraction takes a whole number'],
      [['--torch', '--torch-inputs', 'abc'], '--torch-inputs takes a whole number'],
      [['--torch', '--torch-model', 'bogus'], '--torch-model takes lenet or cifar'],
      [['--frobnicate'], 'unknown option --frobnicate'],
    ];
    for (const [args, mention] of cases) {
      const r = spawnSync(process.execPath, [BENCH, ...args], { encoding: 'utf8', timeout: 60_000 });
      const shown = `bench ${args.join(' ')}: status ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
      assert.equal(r.status, 2, shown);
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('npm warn'));
      assert.equal(lines.length, 1, shown);
      assert.ok(lines[0].startsWith('bench: ') && lines[0].includes(mention), shown);
      assert.doesNotMatch(r.stdout, /ms|GOAL/, shown);
    }
  });
});
