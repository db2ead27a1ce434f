/**
 * `cnn-slicer query <run-folder> <kind> [options]` (any slice of a run as JSON, answered by the
 * same engine as the analysis service, in this process) and `cnn-slicer runs [<folder>]`.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseCommandLine } from './options';
import { isLayerIndex, layerByName } from './layerOption';
import { descriptorOf, parseQuery, QUERY_KINDS, type QueryKind } from '../contract/queries';
import { RunListing } from '../run/listing';
import { readRunAsync } from '../run/store';
import { AnalysisEngine } from '../service/engine';
import { COMMAND_ENGINE_MEMORY } from './engineMemory';
import { measureBeforeOpening } from './measure';
import type { CliStreams } from './streams';
import { HELP_ASKED, UsageError } from './usage';

const LIST = /^\d+(,\d+)*$/;

function list(raw: string | boolean | undefined, name: string): number[] | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !LIST.test(raw.trim()))
    throw new UsageError(`--${name} must be a comma-separated list of integers, got "${raw}"`);
  return raw.trim().split(',').map(Number);
}

function int(raw: string | boolean | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw.trim())) throw new UsageError(`--${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/** The options that name one layer, by index or by name (layerOption.ts). */
const LAYER_OPTIONS = ['layer', 'layer-i', 'layer-j'] as const;

/** A layer option's index: digits, or a name of `layerNames` (the run's layers; absent: names are refused). */
function layer(
  raw: string | boolean | undefined,
  name: (typeof LAYER_OPTIONS)[number],
  layerNames?: readonly string[],
): number | undefined {
  if (typeof raw !== 'string' || isLayerIndex(raw) || raw.trim() === '') return int(raw, name);
  if (!layerNames) throw new UsageError(`--${name} must be a layer index or name, got "${raw}"`);
  return layerByName(raw, layerNames, `--${name}`);
}

/**
 * `--layers`: a comma-separated list of layers, each an index or a name of `layerNames` (as
 * `--layer` takes it); a list of indices alone needs no names.
 */
function layerList(raw: string | boolean | undefined, layerNames?: readonly string[]): number[] | undefined {
  if (typeof raw !== 'string' || LIST.test(raw.trim())) return list(raw, 'layers');
  const items = raw.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`--layers must be a comma-separated list of layer indices or names, got "${raw}"`);
  return items.map((s) => {
    if (isLayerIndex(s)) return Number(s);
    if (!layerNames) throw new UsageError(`--layers must be a comma-separated list of layer indices or names, got "${raw}"`);
    return layerByName(s, layerNames, '--layers');
  });
}

/** Whether any layer option names a layer rather than giving its index (the run's layer names are read then). */
export function namesALayer(v: Record<string, string | boolean | undefined>): boolean {
  const names = (raw: string | boolean | undefined) => typeof raw === 'string' && raw.trim() !== '' && !isLayerIndex(raw);
  const layers = v.layers;
  return LAYER_OPTIONS.some((k) => names(v[k])) || (typeof layers === 'string' && layers.split(',').some((s) => names(s.trim())));
}

/** The fields of `--json '{…}'`: a JSON object, or a usage error. */
function jsonFields(raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError('--json must be a JSON object, e.g. --json \'{"layer":2,"epoch":1}\'');
  return parsed as Record<string, unknown>;
}

/** The command-line option(s) that set each query field. */
const OPTION_OF_FIELD: Record<string, string> = {
  epoch: '--epoch',
  layer: '--layer',
  channel: '--channel',
  channels: '--channels',
  layerI: '--layer-i',
  layerJ: '--layer-j',
  channelI: '--channel-i',
  channelJ: '--channel-j',
  bins: '--bins',
  sizes: '--sizes',
  source: '--source',
  mode: '--mode',
  seed: '--seed',
  clusters: '--clusters',
  layers: '--layers',
  inputs: '--cells',
  exhaustive: '--exhaustive',
  exact: '--exact',
  x: '--class/--classes/--inputs/--per-class',
};

/**
 * Refuses, in one line, the fields `kind` does not take (the parser would drop them without a
 * word, and `--epoch 1` beside `informationPlane` would answer every epoch): each named as it was
 * given, an option or a field of --json, followed by what the kind does take.
 */
function checkFieldsOfKind(kind: string, options: Record<string, unknown>, json: Record<string, unknown>): void {
  if (!(QUERY_KINDS as readonly string[]).includes(kind)) return;
  const takes = Object.keys(descriptorOf(kind as QueryKind).query.entries).filter((f) => f !== 'kind');
  const named = (fields: string[]) => fields.map((f) => OPTION_OF_FIELD[f] ?? `"${f}" in --json`);
  const fromOptions = Object.keys(options).filter((f) => f !== 'kind' && !takes.includes(f));
  const fromJson = Object.keys(json).filter((f) => f !== 'kind' && !takes.includes(f) && !fromOptions.includes(f));
  if (fromOptions.length + fromJson.length === 0) return;
  const refused = [...named(fromOptions), ...fromJson.map((f) => `"${f}" in --json`)];
  const accepted = takes.length ? `it takes ${named(takes).join(', ')}` : 'it takes no options';
  throw new UsageError(`${refused.join(', ')} ${refused.length > 1 ? 'do' : 'does'} not apply to ${kind}: ${accepted}`);
}

/**
 * Builds the query object from command-line options and `--json '{…}'` together: the JSON gives
 * fields, and an option given beside it overrides the same field (so `--json` can carry what has no
 * option, such as informationPlane's estimator, and `--epoch 2` still means epoch 2).
 */
export function queryFromOptions(kind: string, v: Record<string, string | boolean | undefined>, layerNames?: readonly string[]): unknown {
  const base = typeof v.json === 'string' ? jsonFields(v.json) : {};
  let x: unknown;
  const perClass = int(v['per-class'], 'per-class');
  const classes = list(v.classes ?? v.class, v.class !== undefined ? 'class' : 'classes');
  const indices = list(v.inputs, 'inputs');
  const chosen = [perClass !== undefined, indices !== undefined, classes !== undefined && perClass === undefined].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('choose one input subset: --class/--classes, --inputs, or --per-class (with optional --classes)');
  if (perClass !== undefined)
    x = {
      kind: 'perClass',
      count: perClass,
      ...(v.seed !== undefined ? { seed: int(v.seed, 'seed') } : {}),
      ...(classes ? { classes } : {}),
    };
  else if (indices) x = { kind: 'indices', indices };
  else if (classes) x = { kind: 'classes', classes };
  const q: Record<string, unknown> = {
    kind,
    epoch: int(v.epoch, 'epoch'),
    layer: layer(v.layer, 'layer', layerNames),
    channel: int(v.channel, 'channel'),
    channels: list(v.channels, 'channels'),
    layerI: layer(v['layer-i'], 'layer-i', layerNames),
    layerJ: layer(v['layer-j'], 'layer-j', layerNames),
    channelI: int(v['channel-i'], 'channel-i'),
    channelJ: int(v['channel-j'], 'channel-j'),
    bins: int(v.bins, 'bins'),
    exact: int(v.exact, 'exact'),
    sizes: list(v.sizes, 'sizes'),
    source: v.source,
    mode: v.mode,
    x,
  };
  if (kind === 'inputDiversity') q.seed = int(v.seed, 'seed');
  if (kind === 'networkGraph') {
    q.clusters = int(v.clusters, 'clusters');
    q.layers = layerList(v.layers, layerNames);
  } else if (kind === 'channelImportanceEstimate') {
    q.layers = layerList(v.layers, layerNames);
    if (v.clusters !== undefined) throw new UsageError('--clusters applies to networkGraph');
  } else if (v.clusters !== undefined || v.layers !== undefined)
    throw new UsageError('--clusters and --layers apply to networkGraph (--layers to channelImportanceEstimate too)');
  if (v.mode !== undefined && kind !== 'ablation' && kind !== 'channelImportance')
    throw new UsageError('--mode applies to ablation and channelImportance');
  // --cells is confusion's `inputs: true`; on any other kind it is refused below, with the other options the kind does not take.
  if (v.cells) q.inputs = true;
  if (v.exhaustive) q.exhaustive = true;
  if (v.seed !== undefined && perClass === undefined && kind !== 'inputDiversity')
    throw new UsageError('--seed applies to --per-class subsets and to inputDiversity');
  const given = Object.fromEntries(Object.entries(q).filter(([, e]) => e !== undefined));
  checkFieldsOfKind(kind, given, base);
  const merged: Record<string, unknown> = { ...base, ...given, kind };
  // Queries that need an input subset default to all inputs on the command line.
  if (merged.x === undefined && ['inputs', 'featureMaps'].includes(kind)) merged.x = { kind: 'all' };
  if (merged.x === undefined && kind === 'deconvolution')
    throw new UsageError('deconvolution needs its inputs: --inputs I1,I2,… or --per-class N');
  return merged;
}

/** The query fields' options, each taking a value. */
const QUERY_FIELD_OPTIONS = [
  'epoch',
  'layer',
  'channel',
  'channels',
  'layer-i',
  'layer-j',
  'channel-i',
  'channel-j',
  'bins',
  'sizes',
  'source',
  'seed',
  'class',
  'classes',
  'inputs',
  'per-class',
  'json',
  'clusters',
  'layers',
  'mode',
  'exact',
] as const;

/** The `query` command's options (its descriptor shows them: src/cli/commands/runs.ts). */
export const QUERY_OPTIONS: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
  cells: { type: 'boolean' },
  exhaustive: { type: 'boolean' },
  pretty: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(QUERY_FIELD_OPTIONS.map((k) => [k, { type: 'string' as const }])),
};

export async function runQuery(argv: string[], io: CliStreams): Promise<void | typeof HELP_ASKED> {
  const parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] } = parseCommandLine(
    'query',
    argv,
    QUERY_OPTIONS,
  );
  if (parsed.values.help) return HELP_ASKED;
  const [folder, kind] = parsed.positionals;
  if (parsed.positionals.length !== 2)
    throw new UsageError(`expected <run-folder> <kind>, got ${parsed.positionals.length} argument(s); kinds: ${QUERY_KINDS.join(', ')}`);
  const runFolder = resolve(folder);
  if (!existsSync(runFolder)) throw new UsageError(`${runFolder} does not exist`);
  if (!statSync(runFolder).isDirectory())
    throw new UsageError(`${runFolder} is a file, not a run folder: name a folder that "cnn-slicer runs" lists`);
  await measureBeforeOpening(runFolder, io);
  // A layer given by name is looked up in the run's manifest (its layers' names, as `run` lists them).
  const layerNames = namesALayer(parsed.values) ? (await readRunAsync(runFolder)).manifest.layers.map((l) => l.name) : undefined;
  const query = parseQuery(queryFromOptions(kind, parsed.values, layerNames));
  const engine = new AnalysisEngine({ roots: [dirname(runFolder)], ...COMMAND_ENGINE_MEMORY });
  try {
    const r = await engine.answer(runFolder, query, {
      onProgress: io.stderr.isTTY ? (f, message) => io.stderr.write(`\r${Math.round(f * 100)}% ${message}`.padEnd(60)) : undefined,
    });
    if (io.stderr.isTTY) io.stderr.write('\r'.padEnd(61) + '\r');
    io.stdout.write(JSON.stringify(r.answer, null, parsed.values.pretty ? 2 : undefined) + '\n');
  } finally {
    engine.close();
  }
}

/**
 * `cnn-slicer runs`: the runs of a runs folder, newest first. Listed as the extension lists them
 * (src/run/listing.ts): through the folder's listing index, so a folder of many runs only has each
 * run's stamp checked, and each run read where its model file is now.
 */
/** The `runs` command's options (its descriptor shows them: src/cli/commands/runs.ts). */
export const RUNS_OPTIONS = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

export async function runRuns(argv: string[], io: CliStreams): Promise<void | typeof HELP_ASKED> {
  const parsed = parseCommandLine('runs', argv, RUNS_OPTIONS);
  if (parsed.values.help) return HELP_ASKED;
  if (parsed.positionals.length > 1) throw new UsageError('expected at most one runs folder');
  const folder = resolve(parsed.positionals[0] ?? '.cnnslicer/runs');
  if (!existsSync(folder)) throw new UsageError(`${folder} does not exist (record a run first: cnn-slicer record <model-file>)`);
  if (!statSync(folder).isDirectory())
    throw new UsageError(`${folder} is a file, not a runs folder: name the folder that holds the run folders (default .cnnslicer/runs)`);
  const listing = new RunListing();
  const { runs, errors } = await listing.list([folder]);
  await listing.indexWritten();
  if (parsed.values.json) {
    const rows = runs.map((r) => ({
      id: r.manifest.id,
      folder: r.folder,
      status: r.manifest.status,
      model: r.manifest.model.name,
      dataset: r.manifest.dataset.spec,
      epochs: r.manifest.epochs,
      ...(r.pending?.length ? { pendingEpochs: r.pending.map((m) => m.epoch) } : {}),
      createdAt: r.manifest.createdAt,
    }));
    io.stdout.write(JSON.stringify({ runs: rows, errors }) + '\n');
    return;
  }
  if (runs.length === 0 && errors.length === 0) {
    io.stdout.write(`no runs in ${folder}\n`);
    return;
  }
  const table = [
    ['run', 'status', 'model', 'dataset', 'epochs'],
    ...runs.map((r) => [
      r.manifest.id,
      r.manifest.status,
      r.manifest.model.name,
      r.manifest.dataset.spec,
      epochsCell(r.manifest.epochs, r.pending),
    ]),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const row of table)
    io.stdout.write(
      row
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd() + '\n',
    );
  for (const e of errors) io.stdout.write(`unreadable: ${e.folder}: ${e.message}\n`);
}

/** The measured epochs, and those a PyTorch recorder wrote whose measures are still to come. */
function epochsCell(epochs: number[], pending: readonly { epoch: number }[] | undefined): string {
  if (!pending?.length) return epochRange(epochs);
  const awaiting = `${epochRange(pending.map((m) => m.epoch))} awaiting measures`;
  return epochs.length === 0 ? awaiting : `${epochRange(epochs)}; ${awaiting}`;
}

function epochRange(epochs: number[]): string {
  if (epochs.length === 0) return 'none';
  return epochs.length <= 4 ? epochs.join(', ') : `${epochs[0]}–${epochs[epochs.length - 1]} (${epochs.length})`;
}
