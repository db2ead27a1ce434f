// The pure part of the workspace's runs folders (runsFolders.ts): a `CNN_SLICER_RUNS` value as a
// folder, the runs folder of a discovered manifest, and the folders' order without repeats. No
// `vscode` here, so test/unit/extension/runs/runsFolders.test.ts runs it in plain Node.
import { dirname, isAbsolute, resolve } from 'node:path';

/** The environment variable the Python recorder reads its runs folder from. */
export const RUNS_ENV = 'CNN_SLICER_RUNS';

/**
 * The glob of the manifests of runs in `.cnnslicer/runs` folders anywhere in the workspace (where a
 * Python script run without `CNN_SLICER_RUNS` records: beside the script).
 */
export const DISCOVERY_GLOB = '**/.cnnslicer/runs/*/manifest.json';
/** Not looked into for runs folders. */
export const DISCOVERY_EXCLUDE = '**/node_modules/**';

/** The key of `terminal.integrated.env.<key>` for a platform (`process.platform`). */
export function terminalEnvKey(platform: NodeJS.Platform): 'linux' | 'osx' | 'windows' {
  return platform === 'win32' ? 'windows' : platform === 'darwin' ? 'osx' : 'linux';
}

/**
 * A `CNN_SLICER_RUNS` value as an absolute folder, or undefined when it names none (unset, empty,
 * not a string, or `null`, which `terminal.integrated.env` uses to unset a variable). VS Code
 * substitutes `${workspaceFolder}` and `${env:NAME}` in `terminal.integrated.env`; a relative path
 * is relative to the terminal's working folder, the workspace folder (`base`).
 */
export function resolveRunsEnv(
  value: unknown,
  base: string | undefined,
  env: Readonly<Record<string, string | undefined>> = {},
): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value
    .replace(/\$\{workspaceFolder\}/g, base ?? '${workspaceFolder}')
    .replace(/\$\{env:([^}]+)\}/g, (_m, name: string) => env[name] ?? '')
    .trim();
  if (!text || text.includes('${')) return undefined;
  if (isAbsolute(text)) return resolve(text);
  return base === undefined ? undefined : resolve(base, text);
}

/** The runs folder that holds the run of a discovered manifest (`…/.cnnslicer/runs/<run>/manifest.json`). */
export function runsFolderOfManifest(manifest: string): string {
  return dirname(dirname(resolve(manifest)));
}

/** Folders without repeats (the same folder however written), in the order first seen. */
export function uniqueFolders(folders: Iterable<string>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const folder of folders) {
    const key = resolve(folder);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(key);
  }
  return out;
}

/** What the runs folders are made of, per workspace folder and for the window. */
export interface RunsFolderSources {
  /** Per workspace folder: its configured runs folder, and its terminals' `CNN_SLICER_RUNS` (resolved). */
  folders: { configured: string; terminal?: string }[];
  /** The extension host's own `CNN_SLICER_RUNS` (resolved). */
  processEnv?: string;
  /** The `.cnnslicer/runs` folders found holding runs. */
  discovered: Iterable<string>;
}

/**
 * The runs folders in a stable order: the configured ones first (the first is where the first
 * workspace folder records), then the terminals' `CNN_SLICER_RUNS`, then the discovered
 * `.cnnslicer/runs` folders in path order.
 */
export function composeRunsFolders(sources: RunsFolderSources): string[] {
  return uniqueFolders([
    ...sources.folders.map((f) => f.configured),
    ...sources.folders.flatMap((f) => (f.terminal ? [f.terminal] : [])),
    ...(sources.processEnv ? [sources.processEnv] : []),
    ...[...sources.discovered].map((f) => resolve(f)).sort(),
  ]);
}
