/**
 * A bench command line it cannot run (an unknown case, section or model, a value out of range):
 * `node dist/bench.js` prints its one-line message and exits 2, as the CLI does with usage errors,
 * instead of a stack trace.
 */
export class BenchUsageError extends Error {}

/** The sections `--only` takes, in the order the bench runs them. */
export const SECTIONS = [
  'inter',
  'busy',
  'capacity',
  'labelinfo',
  'training',
  'torch',
  'pytorch',
  'deep',
  'findings',
  'batchnorm',
  'recording',
  'forward',
  'service',
  'graph',
  'ablation',
  'memory',
  'views',
  'interactions',
  'extension',
  'vsix',
  'importance',
  'report',
] as const;

const whole = (raw: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
  raw !== undefined && /^\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max;

/** Largest MNIST subset the `inter` cases take: the training set. */
const MAX_INTER_INPUTS = 60_000;

/** Undefined when `--case <name>` is one the bench runs, else what is wrong with it (zoo model names are checked by the zoo). */
export function caseProblem(name: string): string | undefined {
  const [kind, arg, variant, extra] = name.split(':');
  const noArgs = (k: string) => (arg === undefined ? undefined : `--case ${k} takes no argument, got "${name}"`);
  switch (kind) {
    case 'zoo':
      return arg ? undefined : '--case zoo:<model> needs a model name';
    case 'report':
      return arg ? undefined : '--case report:<run folder> needs a recorded run folder';
    case 'pytorch-import':
    case 'pytorch-tfjs-checkpoint':
      return arg ? undefined : `--case ${kind}:<folder> needs a folder`;
    case 'inter':
    case 'inter1':
      return whole(arg, 2, MAX_INTER_INPUTS) && variant === undefined
        ? undefined
        : `--case ${kind}:<inputs> takes a whole number of MNIST inputs from 2 to ${MAX_INTER_INPUTS.toLocaleString('en-US')}, got "${name}"`;
    case 'capacity':
    case 'capacity1':
    case 'capacity-cold':
    case 'labelinfo':
    case 'record-cifar':
    case 'forward-resnet18':
    case 'ablation':
    case 'service':
      return noArgs(kind);
    case 'network-graph-resnet18':
      return arg === undefined || arg === 'every-layer' ? undefined : `--case network-graph-resnet18[:every-layer], got "${name}"`;
    case 'record-resnet50':
      return arg === undefined || arg === 'asked' ? undefined : `--case record-resnet50[:asked], got "${name}"`;
    case 'record-lenet':
      return (arg === undefined || arg === 'sequential' || arg === 'overlapped') &&
        (variant === undefined || whole(variant, 1)) &&
        extra === undefined
        ? undefined
        : `--case record-lenet[:sequential|overlapped[:<training inputs>]], got "${name}"`;
    case 'torch-ours':
      return (arg === 'lenet' || arg === 'cifar') && whole(variant, 1) && (extra === undefined || extra === 'profile' || extra === '2t')
        ? undefined
        : `--case torch-ours:<lenet|cifar>:<inputs>[:profile|:2t], got "${name}"`;
    default:
      return `unknown bench case "${kind ?? ''}" (cases: zoo, report, pytorch-import, pytorch-tfjs-checkpoint, inter, inter1, capacity, capacity1, labelinfo, record-lenet, record-cifar, record-resnet50, forward-resnet18, network-graph-resnet18, ablation, service, torch-ours)`;
  }
}

/** Undefined when `--only a,b` names known sections, else what is wrong. */
export function onlyProblem(raw: string): string | undefined {
  const names = raw.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (names.length === 0 || names.every((n) => n === '')) return `--only needs section names (${SECTIONS.join(', ')})`;
  return unknown.length
    ? `--only: unknown section${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} (sections: ${SECTIONS.join(', ')})`
    : undefined;
}
