// The command table (src/cli/commands/): every command is one descriptor, and the main --help's
// command list, each command's --help and the dispatch are drawn from the table, so a command added
// to it needs nothing else.
import assert from 'node:assert/strict';
import { COMMANDS } from '../../../src/cli/commands';
import { type Command, defineCommand, defineGroup } from '../../../src/cli/commands/descriptor';
import { mainHelp } from '../../../src/cli/main';
import { runCli } from '../../support/cliRun';

/** What `main(args, table)` writes and returns. */
async function cli(args: string[], table?: readonly Command[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { status, stdout, stderr } = await runCli(args, table);
  return { code: status, stdout, stderr };
}

/** Every command and kind with the arguments that name it: `["entropy", "intra"]`. */
function named(table: readonly Command[]): { words: string[]; command: Command }[] {
  return table.flatMap((c) => [{ words: [c.name], command: c }, ...(c.kinds ?? []).map((k) => ({ words: [c.name, k.name], command: k }))]);
}

describe('the command table', () => {
  it('lists every command and kind in the main --help, in the table order, each description at its column', () => {
    const help = mainHelp();
    const list = help.split('\n');
    let from = list.indexOf('Commands:');
    assert.ok(from >= 0, help);
    for (const { words, command } of named(COMMANDS)) {
      if (command.kinds) continue; // a group's lines are its kinds'
      assert.ok(command.lines.length > 0, `${words.join(' ')} has a line in the main --help`);
      for (const { usage, what } of command.lines) {
        const at = list.findIndex((line, i) => i > from && (line === `  ${usage}` || line.startsWith(`  ${usage} `)));
        assert.ok(at > from, `"${usage}" is listed after the line before it`);
        const described = list[at].endsWith(what) ? list[at] : list[at + 1];
        assert.equal(described.indexOf(what), 55, `"${what}" at column 55`);
        from = at;
      }
    }
    assert.match(help, /^130 record stopped with Ctrl-C before it finished\.$/m, 'the exit codes follow the list');
  });

  it("prints each command's and each kind's descriptor help for --help and -h, exit code 0", async () => {
    for (const { words, command } of named(COMMANDS)) {
      for (const flag of ['--help', '-h']) {
        const r = await cli([...words, flag]);
        assert.equal(r.code, 0, `${words.join(' ')} ${flag}: ${r.stderr}`);
        assert.equal(r.stdout, command.help + '\n', `${words.join(' ')} ${flag}`);
        assert.equal(r.stderr, '');
      }
    }
    const entropy = COMMANDS.find((c) => c.name === 'entropy')!;
    assert.equal(entropy.help, entropy.kinds!.map((k) => k.help).join('\n\n'), "entropy --help is every kind's help");
  });

  it('holds the options each command and kind parses, and its --help names every one of them', () => {
    const unnamed: string[] = [];
    for (const { words, command } of named(COMMANDS)) {
      if (command.kinds) continue; // a group's options are its kinds'
      assert.ok(command.options?.help, `${words.join(' ')} declares its options, --help among them`);
      for (const option of Object.keys(command.options))
        if (option !== 'help' && !new RegExp(`--${option}\\b`).test(command.help)) unnamed.push(`${words.join(' ')} --${option}`);
    }
    assert.deepEqual(unnamed, []);
  });

  it('says an unknown command, an unknown kind or a missing kind in one line, exit code 2', async () => {
    const unknown = await cli(['frobnicate', 'x.npy']);
    assert.deepEqual(unknown, { code: 2, stdout: '', stderr: 'cnn-slicer: unknown command "frobnicate" (see cnn-slicer --help)\n' });
    const kind = await cli(['mi', 'kde', 'x.npy']);
    assert.deepEqual(kind, { code: 2, stdout: '', stderr: 'cnn-slicer: unknown mi kind "kde"; use pairwise or binned\n' });
    const missing = await cli(['entropy']);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'cnn-slicer: entropy needs a kind: intra, channels or inter\n');
    assert.equal(missing.stdout, COMMANDS.find((c) => c.name === 'entropy')!.help + '\n', 'entropy alone prints its help first');
  });

  it('a command added to the table is listed in the main --help, has its --help, and runs with its options parsed', async () => {
    const seen: unknown[] = [];
    const echo = defineCommand({
      name: 'echo',
      lines: [{ usage: 'echo X.npy [--times N]', what: 'says X.npy again' }],
      help: 'Usage: cnn-slicer echo X.npy [--times N]',
      options: { times: { type: 'string' } },
      positionals: 1,
      run: ({ values, positionals }, { verbose }) => {
        seen.push({ times: values.times, positionals, verbose });
        return 3;
      },
    });
    const greet = defineGroup({
      name: 'greet',
      helpWithoutKind: false,
      kinds: [
        defineCommand({
          name: 'loud',
          lines: [{ usage: 'greet loud', what: 'greets loudly' }],
          help: 'Usage: cnn-slicer greet loud',
          options: {},
          positionals: 0,
          run: () => void seen.push('loud'),
        }),
      ],
    });
    const table = [...COMMANDS, echo, greet];

    const help = (await cli(['--help'], table)).stdout;
    assert.ok(help.includes(`\n  ${'echo X.npy [--times N]'.padEnd(53)}says X.npy again\n`), help);
    assert.ok(help.includes(`\n  ${'greet loud'.padEnd(53)}greets loudly\n`), help);
    assert.equal(help, mainHelp(table) + '\n');
    assert.ok(!mainHelp().includes('echo'), 'the table passed is the one listed');

    assert.deepEqual(await cli(['echo', 'x.npy', '--times', '2', '--verbose'], table), { code: 3, stdout: '', stderr: '' });
    assert.deepEqual(seen, [{ times: '2', positionals: ['x.npy'], verbose: true }]);
    assert.deepEqual(await cli(['echo', '--help'], table), { code: 0, stdout: 'Usage: cnn-slicer echo X.npy [--times N]\n', stderr: '' });
    assert.deepEqual(await cli(['echo'], table), {
      code: 2,
      stdout: '',
      stderr: 'cnn-slicer: expected 1 file argument, got 0 (see --help)\n',
    });
    assert.deepEqual(await cli(['echo', 'x.npy', '--twice'], table), {
      code: 2,
      stdout: '',
      stderr: 'cnn-slicer: unknown option --twice (see --help)\n',
    });
    assert.equal((await cli(['greet', 'loud'], table)).code, 0);
    assert.deepEqual(seen.slice(1), ['loud']);
    assert.deepEqual(await cli(['greet'], table), { code: 2, stdout: '', stderr: 'cnn-slicer: greet needs a kind: loud\n' });
    assert.equal((await cli(['echo', 'x.npy'])).code, 2, 'not in the default table');
  });
});
