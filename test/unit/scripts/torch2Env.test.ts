// scripts/torch2-env.mjs: the Debian mirror read from the host's apt sources, the mounts that keep a
// half-built chroot from being removed, and the command that runs a test inside the chroot.
import assert from 'node:assert/strict';
// @ts-expect-error: a JavaScript build script with JSDoc types, imported for its pure functions
import * as torch2Env from '../../../scripts/torch2-env.mjs';

type Bind = { from: string; to: string; file?: boolean };
const { chrootCommand, chrootDir, debianMirror, mountsUnder } = torch2Env as {
  chrootDir: (root: string, suite?: string) => string;
  debianMirror: (files: { name: string; text: string }[]) => string;
  mountsUnder: (dir: string, mountinfo: string) => string[];
  chrootCommand: (o: {
    dir: string;
    binds?: Bind[];
    env: Record<string, string>;
    cwd: string;
    command: string[];
    what: string;
  }) => [string, string[]];
};

describe('scripts/torch2-env.mjs', function () {
  it("keeps each suite's chroot in a folder of its own, trixie's by default, and names the suites it knows when given another", function () {
    assert.equal(chrootDir('/cache'), '/cache/torch2-trixie');
    assert.equal(chrootDir('/cache', 'trixie'), '/cache/torch2-trixie');
    assert.equal(chrootDir('/cache', 'forky'), '/cache/torch2-forky');
    assert.throws(() => chrootDir('/cache', 'bookworm'), /^Error: no torch chroot for the suite bookworm: one of trixie, forky$/);
    assert.throws(() => chrootDir('/cache', '../x'), /no torch chroot for the suite \.\.\/x/);
  });

  it("takes the mirror of the host's first Debian source, past vendors' suites, disabled stanzas and the security archive", function () {
    const files = [
      { name: 'google-cloud-sdk.list', text: 'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n' },
      {
        name: 'debian.sources',
        text: [
          'Types: deb',
          'URIs: http://old.example/debian',
          'Suites: bookworm',
          'Components: main',
          'Enabled: no',
          '',
          'Types: deb',
          '# http://snapshot.debian.org/archive/debian-security/20250520T000000Z',
          'URIs: http://deb.debian.org/debian-security',
          'Suites: bookworm-security',
          '',
          'Types: deb-src deb',
          'URIs: http://mirror.example/debian/',
          'Suites: bookworm bookworm-updates',
          'Components: main',
        ].join('\n'),
      },
      { name: 'later.list', text: 'deb http://later.example/debian trixie main\n' },
    ];
    assert.equal(debianMirror(files), 'http://mirror.example/debian');
    assert.equal(
      debianMirror([
        {
          name: 'sources.list',
          text: '# deb http://x/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://y.example/debian bookworm main\n',
        },
      ]),
      'http://y.example/debian',
    );
    assert.equal(
      debianMirror([{ name: 'nodesource.sources', text: 'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n' }]),
      'http://deb.debian.org/debian',
    );
    assert.equal(
      debianMirror([{ name: 'x.sources.disabled', text: 'Types: deb\nURIs: http://z.example/debian\nSuites: trixie\n' }]),
      'http://deb.debian.org/debian',
    );
  });

  it('finds the mounts at and below a folder in /proc/self/mountinfo, with escaped spaces, and not those of a sibling', function () {
    const info = [
      '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
      '30 22 0:5 / /c/torch2-trixie/proc rw - proc proc rw',
      '31 22 254:0 /home/u/repo /c/torch2-trixie/home/my\\040repo rw - ext4 /dev/vda rw',
      '32 22 254:0 / /c/torch2-trixie-old rw - ext4 /dev/vda rw',
      '',
    ].join('\n');
    assert.deepEqual(mountsUnder('/c/torch2-trixie/', info), ['/c/torch2-trixie/proc', '/c/torch2-trixie/home/my repo']);
    assert.deepEqual(mountsUnder('/c/elsewhere', info), []);
  });

  it('runs the command in a private mount namespace: /proc and the binds mounted, then chroot with only the given environment', function () {
    const [cmd, args] = chrootCommand({
      dir: '/cache/t2',
      binds: [
        { from: "/home/it's", to: "/home/it's" },
        { from: '/usr/bin/node', to: '/usr/local/bin/node', file: true },
      ],
      env: { PATH: '/usr/bin', A: 'x y' },
      cwd: "/home/it's",
      command: ['python3', '-m', 'unittest', 'tests.test_recorder'],
      what: 'test:python --torch2',
    });
    assert.equal(cmd, 'unshare');
    assert.deepEqual(args.slice(0, 5), ['--mount', '--propagation', 'private', '/bin/sh', '-c']);
    const lines = args[5].split('\n');
    assert.equal(lines.length, 7);
    assert.match(
      lines[1],
      /^err=\$\(mount -t proc proc '\/cache\/t2\/proc' 2>&1\) \|\| \{ echo 'test:python --torch2: cannot mount ''\/cache\/t2\/proc'": \$err" >&2; exit 125; \}$/,
    );
    assert.equal(lines[2], `mkdir -p '/cache/t2/home/it'\\''s'`);
    assert.match(lines[3], /mount --bind '\/home\/it'\\''s' '\/cache\/t2\/home\/it'\\''s'/);
    assert.equal(
      lines[4],
      `mkdir -p '/cache/t2/usr/local/bin' && { [ -e '/cache/t2/usr/local/bin/node' ] || : > '/cache/t2/usr/local/bin/node'; }`,
    );
    assert.ok(lines[6].startsWith(`exec chroot '/cache/t2' /usr/bin/env -i 'PATH=/usr/bin' 'A=x y' /bin/sh -c `), lines[6]);
    assert.ok(lines[6].endsWith(` && exec "$@"' sh 'python3' '-m' 'unittest' 'tests.test_recorder'`), lines[6]);
  });
});
