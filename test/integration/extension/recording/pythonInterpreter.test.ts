// The interpreter choice and the command lines of Analyze CNN on a `.py` file
// (src/extension/recording/pythonInterpreter.ts); the check script is run with this machine's Python.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHECK_SCRIPT,
  chooseInterpreter,
  commandLine,
  parseFacts,
  quoteArg,
  shellKind,
  withPythonPath,
} from '../../../../src/extension/recording/pythonInterpreter';
import { root } from '../../../support/modelSources';

describe('Python interpreter of Analyze CNN', () => {
  it("takes the Python extension's choice, else the setting, else python3", () => {
    assert.deepEqual(chooseInterpreter({ fromPythonExtension: '/env/bin/python', setting: '/usr/bin/python3', platform: 'linux' }), {
      path: '/env/bin/python',
      source: 'python-extension',
    });
    assert.deepEqual(
      chooseInterpreter({ setting: '${workspaceFolder}/.venv/bin/python', workspaceFolder: '/w', home: '/h', platform: 'linux' }),
      { path: '/w/.venv/bin/python', source: 'setting' },
    );
    assert.equal(chooseInterpreter({ setting: '~/venv/bin/python', home: '/h', platform: 'linux' }).path, '/h/venv/bin/python');
    assert.equal(chooseInterpreter({ setting: '~user/python', home: '/h', platform: 'linux' }).path, '~user/python');
    assert.deepEqual(chooseInterpreter({ fromPythonExtension: ' ', setting: '', platform: 'linux' }), {
      path: 'python3',
      source: 'default',
    });
    assert.equal(chooseInterpreter({ platform: 'win32' }).path, 'python');
    // Record Again: the Python that trained the run comes first.
    assert.deepEqual(chooseInterpreter({ fromRun: '/venv/bin/python', fromPythonExtension: '/env/bin/python', platform: 'linux' }), {
      path: '/venv/bin/python',
      source: 'run',
    });
  });

  it('quotes the command line for the terminal’s shell', () => {
    assert.equal(shellKind('/bin/bash'), 'posix');
    assert.equal(shellKind('/usr/bin/fish'), 'fish');
    assert.equal(shellKind('C:\\Program Files\\PowerShell\\7\\pwsh.exe'), 'powershell');
    assert.equal(shellKind('C:\\Windows\\System32\\cmd.exe'), 'cmd');
    assert.equal(commandLine('/usr/bin/python3', ['/w/train.py'], 'posix'), '/usr/bin/python3 /w/train.py');
    assert.equal(commandLine('python3', ["/w/it's here/t.py"], 'posix'), `python3 '/w/it'\\''s here/t.py'`);
    assert.equal(commandLine('python3', ["/w/it's\\x.py"], 'fish'), `python3 '/w/it\\'s\\\\x.py'`);
    assert.equal(
      commandLine('C:\\Program Files\\Python\\python.exe', ['-m', 'pip', 'install', "C:\\it's\\python"], 'powershell'),
      `& 'C:\\Program Files\\Python\\python.exe' -m pip install 'C:\\it''s\\python'`,
    );
    assert.equal(commandLine('python', ['C:\\a b\\t.py'], 'cmd'), 'python "C:\\a b\\t.py"');
    assert.equal(quoteArg('$HOME', 'posix'), "'$HOME'");
    assert.equal(withPythonPath('/ext/python', undefined, 'linux'), '/ext/python');
    assert.equal(withPythonPath('/ext/python', '/a', 'linux'), '/ext/python:/a');
    assert.equal(withPythonPath('C:\\ext\\python', 'C:\\a', 'win32'), 'C:\\ext\\python;C:\\a');
  });

  it('reads what the check script prints, and nothing else', () => {
    assert.equal(parseFacts('not json'), undefined);
    assert.equal(parseFacts('{"cnnSlicer": true}'), undefined);
    assert.deepEqual(
      parseFacts(
        'warning\n{"cnnSlicer": false, "torch": true, "numpy": true, "version": "3.11.2", "executable": "/usr/bin/python3", "externallyManaged": true}\n',
      ),
      { cnnSlicer: false, torch: true, numpy: true, version: '3.11.2', executable: '/usr/bin/python3', externallyManaged: true },
    );
  });

  it('the check script runs on this machine’s Python', function () {
    const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
    if (!python) this.skip();
    const facts = parseFacts(execFileSync(python, ['-c', CHECK_SCRIPT], { encoding: 'utf8', timeout: 20_000 }));
    assert.ok(facts, 'the output parses');
    assert.match(facts.version, /^3\.\d+\.\d+$/);
    // The package is found from the folder the script runs in (sys.path[0], as a script's own folder is).
    const inRepo = parseFacts(execFileSync(python, ['-c', CHECK_SCRIPT], { encoding: 'utf8', timeout: 20_000, cwd: join(root, 'python') }));
    assert.equal(inRepo?.cnnSlicer, true);
  });
});
