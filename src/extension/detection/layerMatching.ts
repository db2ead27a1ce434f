// Places the layers of a recorded run on the layer definitions the scanners find in the current
// text of a file, so that lenses, hovers and "go to source" follow the user's edits; and finds the
// definitions at a position (hover, cursor). Pure, tested in test/unit/extension/detection/layerMatching.test.ts.
import { alignByWorth } from '../../analysis/alignment';
import { removableAxisOf } from '../../analysis/layout';
import type { DetectedLayer, PythonLayerSite } from './types';

/** A layer of a recorded run defined in this file, at its recorded position made 0-based. */
export interface RecordedLayer {
  index: number;
  name: string;
  className: string;
  /**
   * The last dimension of the layer's output (`units`, `filters`; the first for a channels-first
   * layer), when the manifest gives it. Not the run's `channels`: a dense layer's output of 10 units
   * is recorded as 1 channel of 10.
   */
  units?: number;
  /** The configuration arguments the run recorded (RunLayer.args), absent in older runs. */
  args?: Record<string, string | number | number[]>;
  line: number;
  column: number;
}

/** Where a layer definition is, and which layers of the run (if any) it made. */
export interface LayerSite {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** The static detection of this definition (absent when only the run knows it). */
  detected?: DetectedLayer;
  /** Run layer indices created here, ascending: several when a helper is called more than once. */
  layers: number[];
  /**
   * Set when this definition and another one are equally good places for a layer of the run (the
   * source tells them apart by nothing the run recorded): neither gets the layer's values, both say "stale".
   */
  ambiguous?: boolean;
}

/**
 * The run's layers defined in `file`: the manifest's 1-based source positions made 0-based.
 * `sameFile` compares paths as the platform does (the caller knows about case-insensitive disks).
 */
export function recordedInFile(
  layers: readonly {
    index: number;
    name: string;
    className: string;
    outputShape?: readonly number[];
    dataFormat?: string;
    source?: { file: string; line: number; column: number };
    args?: Record<string, string | number | number[]>;
  }[],
  sameFile: (path: string) => boolean,
): RecordedLayer[] {
  const out: RecordedLayer[] = [];
  for (const l of layers) {
    if (!l.source || !sameFile(l.source.file)) continue;
    out.push({
      index: l.index,
      name: l.name,
      className: l.className,
      // A channels-first layer's filters are its first axis.
      ...(l.outputShape?.length
        ? { units: removableAxisOf(l.outputShape, l.dataFormat === 'channelsFirst' ? 'channelsFirst' : undefined).channels }
        : {}),
      ...(l.args ? { args: l.args } : {}),
      line: Math.max(0, l.source.line - 1),
      column: Math.max(0, l.source.column - 1),
    });
  }
  return out;
}

/**
 * A comparable key for a layer kind: tf.layers factory names and Keras class names agree once
 * lower-cased (`maxPooling2d` ~ `MaxPooling2D`), except for tfjs's short aliases (`maxPool2d`,
 * `avgPool2d`) and `tf.input`, which are spelled out here.
 */
export function layerKindKey(kind: string): string {
  let k = kind.toLowerCase().replace(/[^a-z0-9]/g, '');
  k = k.replace(/avg/g, 'average').replace(/pool(\d|$)/, 'pooling$1');
  if (k === 'input' || k === 'inputlayer') return 'input';
  return k;
}

/**
 * Whether a literal option of the source can be the value a run recorded: equal, or a number
 * standing for every dimension of a recorded tuple (`kernelSize: 5` is tfjs's `[5, 5]`); strings
 * compared without case (`'relu'`, `'same'`). A tuple of the source (Python's `(3, 5)`) is equal
 * to the same recorded tuple, or to a recorded number that every one of its entries is.
 */
export function sameArg(source: string | number | number[], recorded: string | number | number[]): boolean {
  if (Array.isArray(source)) {
    if (Array.isArray(recorded)) return source.length === recorded.length && source.every((x, i) => x === recorded[i]);
    return source.length > 0 && source.every((x) => x === recorded);
  }
  if (Array.isArray(recorded)) return typeof source === 'number' && recorded.length > 0 && recorded.every((x) => x === source);
  if (typeof source === 'string' && typeof recorded === 'string') return source.toLowerCase() === recorded.toLowerCase();
  return source === recorded;
}

/** Whether every option the source gives that a recorded layer has agrees with it. */
function argsAgree(d: DetectedLayer, r: RecordedLayer): boolean {
  if (!d.args || !r.args) return true;
  return Object.entries(d.args).every(([k, v]) => r.args?.[k] === undefined || sameArg(v, r.args[k]));
}

function kindOf(d: DetectedLayer): string | undefined {
  const k = d.factory ?? d.className;
  return k === undefined ? undefined : layerKindKey(k);
}

/** Recorded layers grouped by position: one definition may create several layers. */
interface Group {
  line: number;
  column: number;
  layers: RecordedLayer[];
  names: Set<string>;
  kinds: Set<string>;
  units: Set<number>;
}

/**
 * The recorded layers grouped by their position, in source order. `byModule` (a PyTorch run) also
 * parts them by module: the PyTorch recorder puts the entries of some containers at the container's
 * position (python/cnn_slicer/sources.py), and the instances of a block at one position each, while
 * only the calls of one module (`relu`, `relu-2`) are one definition's for certain.
 */
function groupByPosition(recorded: readonly RecordedLayer[], byModule: boolean): Group[] {
  const groups: Group[] = [];
  const byPosition = new Map<string, Group>();
  for (const r of recorded) {
    // A functional op's layers at one position are one call in the text, whatever instance ran it.
    const module = byModule && r.className !== r.className.toLowerCase();
    const key = module ? `${r.line}:${r.column}:${r.name.replace(/-\d+$/, '')}` : `${r.line}:${r.column}`;
    let g = byPosition.get(key);
    if (!g) {
      g = { line: r.line, column: r.column, layers: [], names: new Set(), kinds: new Set(), units: new Set() };
      byPosition.set(key, g);
      groups.push(g);
    }
    g.layers.push(r);
    g.names.add(r.name);
    g.kinds.add(layerKindKey(r.className));
    if (r.units !== undefined && r.units > 0) g.units.add(r.units);
  }
  return groups.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Places the layers of a run on the definitions found in the current text. When the file has not
 * changed since the run, every recorded position is the start of a detected call. When it has
 * (lines moved, layers added, removed or reordered), a recorded position may now hold another
 * layer, so positions alone are not trusted: layers are matched by a unique literal name first
 * (always present in model.json, often in code), then by order (the longest common subsequence of
 * compatible layers: the same kind, and the same output width where the source gives literal `units`
 * or `filters`, so a `dense({units: 32})` inserted before a 10-unit output layer is not taken for
 * it), preferring among equally long alignments the one that keeps more
 * recorded positions. Lenses thereby stay on their layers while the user edits. Recorded layers
 * that match nothing are kept at their recorded position only when every match was at its
 * recorded position (the file looks unchanged and the scanner just missed a call form);
 * otherwise they are stale and dropped.
 *
 * `fileUnchanged` is what the caller knows for sure (the file on disk is older than the run and
 * the editor holds no unsaved change): then recorded positions are taken as they are, placed on
 * the detected call at that position or on the same line, and kept where no call was detected.
 *
 * `inputLayer` is the run's index of the model input (0), which the recorder does not locate:
 * a single `tf.input(…)` call stands for it.
 */
export function layerSites(
  detected: readonly DetectedLayer[],
  recorded: readonly RecordedLayer[],
  options: { inputLayer?: number; fileUnchanged?: boolean } = {},
): LayerSite[] {
  // A PyTorch run on a Python file: one definition may make the layers of many groups (a block's
  // `conv1` for each instance of the block), and names place them (1b).
  const pythonRun = detected.some((d) => d.python);
  const groups = groupByPosition(recorded, pythonRun);
  const recordedNames = new Set(recorded.map((r) => r.name));

  // A definition can have made a group's layers if the kinds agree, and its literal units and
  // name, where it has them, are theirs.
  const compatible = (g: Group, d: DetectedLayer): boolean => {
    const k = kindOf(d);
    if (k !== undefined && !g.kinds.has(k)) return false;
    if (d.units !== undefined && g.units.size > 0 && !g.units.has(d.units)) return false;
    if (!g.layers.some((r) => argsAgree(d, r))) return false;
    // A name no recorded layer has is a rename (or a new layer): kind, order and units decide.
    return d.name === undefined || g.names.has(d.name) || !recordedNames.has(d.name);
  };
  const exactAt = (g: Group, d: DetectedLayer): boolean => g.line === d.line && g.column === d.column;

  const boundTo = new Array<number>(groups.length).fill(-1); // group → detected index
  const taken = new Array<boolean>(detected.length).fill(false);
  const bind = (gi: number, di: number): void => {
    boundTo[gi] = di;
    taken[di] = true;
  };

  if (options.fileUnchanged) {
    const detectedAt = new Map<string, number>();
    detected.forEach((d, i) => detectedAt.set(`${d.line}:${d.column}`, i));
    groups.forEach((g, gi) => {
      const di = detectedAt.get(`${g.line}:${g.column}`);
      if (di !== undefined && (!taken[di] || pythonRun)) bind(gi, di);
    });
    // The same line, for a call form whose start the scanner and the recorder see differently.
    groups.forEach((g, gi) => {
      if (boundTo[gi] >= 0) return;
      const onLine = detected.map((d, i) => i).filter((i) => !taken[i] && detected[i].line === g.line && compatible(g, detected[i]));
      if (onLine.length === 1) bind(gi, onLine[0]);
    });
  } else {
    // 1. Names that occur once on each side identify a layer wherever it moved.
    const detectedByName = new Map<string, number>();
    const nameCount = new Map<string, number>();
    detected.forEach((d, i) => {
      if (d.name === undefined) return;
      nameCount.set(d.name, (nameCount.get(d.name) ?? 0) + 1);
      detectedByName.set(d.name, i);
    });
    const groupNameCount = new Map<string, number>();
    for (const g of groups) for (const n of g.names) groupNameCount.set(n, (groupNameCount.get(n) ?? 0) + 1);
    groups.forEach((g, gi) => {
      for (const n of g.names) {
        const di = detectedByName.get(n);
        if (di === undefined || nameCount.get(n) !== 1 || groupNameCount.get(n) !== 1 || taken[di] || boundTo[gi] >= 0) continue;
        if (compatible(g, detected[di])) bind(gi, di);
      }
    });

    // 1b. Python definitions, by the names their paths give (bindByPythonNames).
    const root = bindByPythonNames(groups, detected, boundTo, bind, compatible);

    // 2. Order, for the rest: among a Python file's classes, those the names placed layers in (the
    // model's and its blocks'), when they are known.
    const gs = groups.map((_, i) => i).filter((i) => boundTo[i] < 0);
    const used = new Set(boundTo.filter((di) => di >= 0).map((di) => detected[di].python?.owner));
    if (root !== undefined) used.add(root);
    const ds = detected
      .map((_, i) => i)
      .filter((i) => !taken[i] && (root === undefined || detected[i].python?.owner === undefined || used.has(detected[i].python?.owner)));
    if (gs.length && ds.length) {
      const pairs = alignInOrder(
        gs.length,
        ds.length,
        (a, b) => compatible(groups[gs[a]], detected[ds[b]]),
        (a, b) => exactAt(groups[gs[a]], detected[ds[b]]),
      );
      for (const [a, b] of pairs) bind(gs[a], ds[b]);
    }
  }
  const ambiguous = options.fileUnchanged ? new Set<number>() : ambiguousBindings(groups, detected, boundTo, taken, compatible);
  boundTo.forEach((di, gi) => {
    if (ambiguous.has(di)) boundTo[gi] = -1;
  });

  const sites: LayerSite[] = detected.map((d, di) => ({
    line: d.line,
    column: d.column,
    endLine: d.endLine,
    endColumn: d.endColumn,
    detected: d,
    layers: [] as number[],
    ...(ambiguous.has(di) ? { ambiguous: true } : {}),
  }));
  groups.forEach((g, gi) => {
    const di = boundTo[gi];
    if (di >= 0) sites[di].layers.push(...g.layers.map((l) => l.index));
  });
  // Unmatched recorded layers: trusted only while the file is or looks unchanged (see above).
  const unchanged =
    options.fileUnchanged ?? (ambiguous.size === 0 && groups.every((g, gi) => boundTo[gi] < 0 || exactAt(g, detected[boundTo[gi]])));
  groups.forEach((g, gi) => {
    if (boundTo[gi] >= 0 || !unchanged) return;
    sites.push({ line: g.line, column: g.column, endLine: g.line, endColumn: g.column, layers: g.layers.map((l) => l.index) });
  });
  // The model input, which the run does not locate.
  if (options.inputLayer !== undefined) {
    const inputs = sites.filter((s) => s.detected && kindOf(s.detected) === 'input' && s.layers.length === 0);
    if (inputs.length === 1) inputs[0].layers.push(options.inputLayer);
  }
  for (const s of sites) s.layers.sort((a, b) => a - b);
  return sites.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Places a PyTorch run's layers on Python definitions by name (PythonLayerSite.paths): a group whose
 * every name one definition alone can make is that definition's, and one definition may make many
 * groups. The model's class makes its names exactly (`conv1`, `layer1.0` of a Sequential
 * attribute); the other classes' definitions make them after the path of their instance
 * (`layer1.0.conv1` of a block's `conv1`), never the model's. Module constructions only: a
 * functional op's `-n` counts the calls of its scope as they run (a module attribute of the same
 * name shares the count), which the text's order only approximates. Returns the model's class when
 * the names tell it.
 */
function bindByPythonNames(
  groups: readonly Group[],
  detected: readonly DetectedLayer[],
  boundTo: readonly number[],
  bind: (gi: number, di: number) => void,
  compatible: (g: Group, d: DetectedLayer) => boolean,
): string | undefined {
  const python = detected.map((_, i) => i).filter((i) => detected[i].python?.kind === 'module' && detected[i].python?.paths.length);
  if (!python.length) return undefined;
  const site = (di: number) => detected[di].python as PythonLayerSite;
  // PyTorch class names are exact on both sides (the scan uses the recorder's tables): `ReLU`, a
  // module, never makes `relu`, a functional op's layer.
  const makes = (g: Group, di: number, exact: boolean): boolean =>
    g.layers.every((r) => r.className === detected[di].className) &&
    [...g.names].every((n) => pythonSiteNames(site(di), n, exact)) &&
    compatible(g, detected[di]);
  // A file may define several models (and their attributes share names: `conv`, `fc`): the run's
  // model is the class whose own attributes make the most of the run's top-level layers.
  const root = rootClass(groups, python, detected, makes);
  const candidates = (g: Group, exact: boolean): number[] =>
    python.filter((di) => {
      const owner = site(di).owner;
      const ofRoot = root === undefined || owner === undefined || owner === root;
      // Another class's definition makes a layer under the path of its instance (a dot before).
      const underInstance = root === undefined || [...g.names].every((n) => !pythonSiteNames(site(di), n, true));
      return (exact ? ofRoot : (root === undefined || owner !== root) && underInstance) && makes(g, di, exact);
    });
  // Blocks: where two classes' definitions could make a layer (`bn` of a block and of another model
  // in the file), the class that makes more of the run's layers is the block.
  const made = new Map<string | undefined, number>();
  for (const g of groups)
    for (const owner of new Set(candidates(g, false).map((di) => site(di).owner))) made.set(owner, (made.get(owner) ?? 0) + 1);
  for (const exact of [true, false]) {
    groups.forEach((g, gi) => {
      if (boundTo[gi] >= 0) return;
      let found = candidates(g, exact);
      if (!exact && found.length > 1) {
        const best = Math.max(...found.map((di) => made.get(site(di).owner) ?? 0));
        found = found.filter((di) => made.get(site(di).owner) === best);
      }
      if (found.length === 1) bind(gi, found[0]);
    });
  }
  return root;
}

/**
 * The class of a Python file that is the run's model: the owner whose definitions make, under their
 * own names, the most of the run's top-level layers (names without a dot: the model's attributes
 * and its forward()'s ops); undefined when no class makes one or two classes make as many.
 */
function rootClass<G extends { names: Set<string> }>(
  groups: readonly G[],
  python: readonly number[],
  detected: readonly DetectedLayer[],
  makes: (g: G, di: number, exact: boolean) => boolean,
): string | undefined {
  const score = new Map<string, number>();
  for (const g of groups) {
    if ([...g.names].some((n) => n.includes('.'))) continue;
    const owners = new Set(python.filter((di) => makes(g, di, true)).map((di) => detected[di].python?.owner));
    for (const owner of owners) if (owner !== undefined) score.set(owner, (score.get(owner) ?? 0) + 1);
  }
  const ranked = [...score.entries()].sort((a, b) => b[1] - a[1]);
  return ranked.length && (ranked.length === 1 || ranked[0][1] > ranked[1][1]) ? ranked[0][0] : undefined;
}

/**
 * Whether a Python definition makes the run layer `name` (python/cnn_slicer/trace.py names them): one
 * of its paths, with `*` standing for one name segment, is the whole name (`exact`) or, when not
 * `exact`, its end after a dot (the path of the owner's instance before it: `layer1.0.conv1` for
 * `conv1` of a block). A module called more than once in forward() also makes `<name>-2`, … (one
 * module, one set of weights, a layer of the run per call); a functional op's numbering is part of
 * its path (`relu-2`: the second `F.relu` in the text of forward()).
 */
export function pythonSiteNames(site: PythonLayerSite, name: string, exact: boolean): boolean {
  const called = site.kind === 'module' ? name.replace(/-\d+$/, '') : name;
  return site.paths.some((path) => {
    const pattern = path
      .split('.')
      .map((segment) => (segment === '*' ? '[^.]+' : segment.replace(/[\\^$.*+?()[\]{}|-]/g, '\\$&')))
      .join('\\.');
    return new RegExp(exact ? `^${pattern}$` : `(?:^|\\.)${pattern}$`).test(called);
  });
}

/**
 * The definitions that cannot be told apart from another one for the layers bound to them: an
 * unbound definition, between the same bound neighbours (so order allows either), is compatible
 * with the same recorded layers and gives the same options, name and units. Both are returned.
 */
function ambiguousBindings<G>(
  groups: readonly G[],
  detected: readonly DetectedLayer[],
  boundTo: readonly number[],
  taken: readonly boolean[],
  compatible: (g: G, d: DetectedLayer) => boolean,
): Set<number> {
  const out = new Set<number>();
  const bound = [...new Set(boundTo.filter((d) => d >= 0))].sort((a, b) => a - b);
  const same = (x: DetectedLayer, y: DetectedLayer): boolean =>
    x.factory === y.factory &&
    x.className === y.className &&
    x.name === y.name &&
    x.units === y.units &&
    JSON.stringify(x.args ?? {}) === JSON.stringify(y.args ?? {}) &&
    // Python definitions of other attributes or classes are told apart by the run's layer names.
    x.python?.owner === y.python?.owner &&
    JSON.stringify(x.python?.paths ?? []) === JSON.stringify(y.python?.paths ?? []);
  groups.forEach((g, gi) => {
    const di = boundTo[gi];
    if (di < 0) return;
    const k = bound.indexOf(di);
    const lo = k > 0 ? bound[k - 1] : -1;
    const hi = k + 1 < bound.length ? bound[k + 1] : detected.length;
    for (let dj = lo + 1; dj < hi; dj++) {
      if (dj === di || taken[dj]) continue;
      if (same(detected[dj], detected[di]) && compatible(g, detected[dj])) {
        out.add(di);
        out.add(dj);
      }
    }
  });
  return out;
}

/**
 * Pairs (i, j), increasing in both, of a longest common subsequence of a[0..n) and b[0..m) under
 * `match`; among the longest, one with the most `preferred` pairs. Quadratic in time and memory,
 * so very long inputs (thousands of definitions: not a real model) fall back to a greedy pass.
 */
function alignInOrder(
  n: number,
  m: number,
  match: (i: number, j: number) => boolean,
  preferred: (i: number, j: number) => boolean,
): [number, number][] {
  const pairs: [number, number][] = [];
  if (n * m > 4_000_000) {
    let j = 0;
    for (let i = 0; i < n && j < m; i++) {
      let k = j;
      while (k < m && !match(i, k)) k++;
      if (k < m) {
        pairs.push([i, k]);
        j = k + 1;
      }
    }
    return pairs;
  }
  // A pair is worth more than all preferences together, so length comes first and preferred pairs break ties.
  const pairWorth = Math.min(n, m) + 1;
  return alignByWorth(n, m, (i, j) => (match(i, j) ? pairWorth + (preferred(i, j) ? 1 : 0) : 0));
}

/**
 * The definitions at a position, for the hover and the cursor link: the innermost one whose call
 * spans the position (a nested `tf.layers.timeDistributed({ layer: tf.layers.dense(…) })` gives
 * the inner one), else every definition starting on that line (the cursor before or after it).
 */
export function sitesAt(sites: readonly LayerSite[], line: number, column: number): LayerSite[] {
  let inner: LayerSite | undefined;
  for (const s of sites) {
    const startsBefore = s.line < line || (s.line === line && s.column <= column);
    const endsAfter = s.endLine > line || (s.endLine === line && s.endColumn > column);
    if (startsBefore && endsAfter && (!inner || s.line > inner.line || (s.line === inner.line && s.column > inner.column))) inner = s;
  }
  return inner ? [inner] : sites.filter((s) => s.line === line);
}
