/**
 * The `.vsix` of this machine's platform (issue 67: one package per platform, `vsce package --target`,
 * each carrying only its own native binary): packaged by `scripts/package.mjs --stage --no-check`
 * into a temporary folder (the production bundles built there, dist/ untouched), then read back: its
 * size, the ONNX Runtime binaries it carries (those of its own platform, none of another's) and the
 * time packaging took. The script makes no universal package (every platform's binaries in one): it
 * packages one target at a time, and a package for another platform is made on that platform (npm
 * installs esbuild's binary for its own platform only), so this bench reports this platform's.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(__dirname, '..');
const MB = 1024 * 1024;

/** An entry of the package's zip: its uncompressed size (scripts/package.mjs `readZip`). */
export interface VsixEntry {
  size: number;
}

/** ONNX Runtime's native files in a package, by the platform folder they sit in (`bin/napi-v6/<os>/<arch>/`). */
export interface OnnxRuntimeBinaries {
  /** `<os>/<arch>` → its files (name and uncompressed bytes). */
  byPlatform: Map<string, { name: string; bytes: number }[]>;
}

const BINARY = /^extension\/node_modules\/onnxruntime-node\/bin\/napi-v\d+\/([^/]+\/[^/]+)\/([^/]+)$/;

/** ONNX Runtime's native build files in a package's entries, grouped by platform folder. */
export function onnxRuntimeBinaries(entries: ReadonlyMap<string, VsixEntry>): OnnxRuntimeBinaries {
  const byPlatform = new Map<string, { name: string; bytes: number }[]>();
  for (const [name, entry] of entries) {
    const m = BINARY.exec(name);
    if (!m) continue;
    const files = byPlatform.get(m[1]) ?? [];
    files.push({ name: m[2], bytes: entry.size });
    byPlatform.set(m[1], files);
  }
  return { byPlatform };
}

/** The onnxruntime-node platform folder (`<os>/<arch>`) of a vsce target (`linux-x64` → `linux/x64`). */
export function platformFolder(target: string): string {
  const [os, arch] = target.split('-');
  return `${os}/${arch === 'armhf' ? 'arm' : arch}`;
}

export interface VsixBenchLine {
  label: string;
  ok: boolean;
}

/** The bench lines of a package for `target` with these entries, `bytes` long, packaged in `seconds`. */
export function vsixLines(target: string, bytes: number, seconds: number, entries: ReadonlyMap<string, VsixEntry>): VsixBenchLine[] {
  const { byPlatform } = onnxRuntimeBinaries(entries);
  const own = platformFolder(target);
  const others = [...byPlatform.keys()].filter((p) => p !== own);
  const unpacked = [...entries.values()].reduce((a, e) => a + e.size, 0);
  const ownFiles = byPlatform.get(own) ?? [];
  const list = ownFiles.map((f) => `${f.name} ${(f.bytes / MB).toFixed(1)} MB`).join(', ');
  return [
    {
      label: `${target}: ${(bytes / MB).toFixed(1)} MB (${entries.size} files, ${(unpacked / MB).toFixed(1)} MB unpacked), packaged in ${seconds.toFixed(0)} s`,
      ok: true,
    },
    {
      label: ownFiles.length
        ? `ONNX Runtime binaries: ${own} only (${list})`
        : `ONNX Runtime binaries: none (onnxruntime-node has no ${own} build: the engine falls back to WebAssembly)`,
      ok: true,
    },
    {
      label: others.length
        ? `other platforms' ONNX Runtime binaries: ${others.join(', ')} — GOAL MISSED (each package carries only its own)`
        : `other platforms' ONNX Runtime binaries: none`,
      ok: others.length === 0,
    },
    {
      label: 'universal package (every platform in one): none; scripts/package.mjs packages one target at a time',
      ok: true,
    },
  ];
}

/** Packages this platform's .vsix into `dir` and prints its lines; `fails` counts a failed packaging or a missed goal. */
export async function benchVsix(dir: string, print: (line: string) => void): Promise<{ fails: number }> {
  const out = join(dir, 'vsix');
  mkdirSync(out, { recursive: true });
  const vsix = join(out, 'cnn-slicer.vsix');
  const started = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), '--stage', '--no-check', '--out', vsix], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * MB,
  });
  const seconds = (performance.now() - started) / 1000;
  // The script's summary line: `package: 30.0 MB (1188 files, 95.9 MB unpacked), target linux-x64, in 35.3 s`.
  const target = /^package: .*, target (\S+), in /m.exec(r.stdout ?? '')?.[1];
  if (r.status !== 0 || !target) {
    const why = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    print(`  packaging failed (node scripts/package.mjs --stage --no-check, exit ${r.status}): ${why}`);
    return { fails: 1 };
  }
  // scripts/package.mjs is an ES module read at run time, not bundled (it finds the repository from its own path).
  const { readZip } = (await import(pathToFileURL(join(ROOT, 'scripts', 'package.mjs')).href)) as {
    readZip: (file: string) => { entries: Map<string, VsixEntry> };
  };
  const { entries } = readZip(vsix);
  const { size } = statSync(vsix);
  let fails = 0;
  for (const line of vsixLines(target, size, seconds, entries)) {
    if (!line.ok) fails++;
    print(`  ${line.label}`);
  }
  return { fails };
}
