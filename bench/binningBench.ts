/**
 * The recorder's per-value binning loops, plain JS against the WebAssembly SIMD kernel
 * (src/analysis/wasm/binning.wat), alternating in one process on one thread: the channel
 * entropies (intraSample.ts `sampleChannelEntropies`) and the binned estimator (labelInformation.ts
 * `binnedInformation`: finite range, codes, symbols) of LeNet's layer outputs at probe 500
 * (24×24×8, 12×12×8, 8×8×16, 4×4×16, 64, 10), float32 with half the values zero as after a ReLU.
 * Prints ns per value (median of the repetitions, all layers together), CPU time and the answer
 * check (both paths must give the same bits). Goal: ≤ 5 ns per value for each kernel.
 *
 * Standalone: `npx tsx bench/binningBench.ts`.
 */
import { cpus, loadavg } from 'node:os';
import { binnedInformation, sampleChannelEntropies, seededRandom } from '../src/analysis';
import type { LayerActivations } from '../src/analysis/layout';

const PROBE = 500;
const REPETITIONS = 7;
const GOAL_NS_PER_VALUE = 5;
/** LeNet's layer outputs as [units, channels]. */
const SHAPES: [number, number][] = [
  [24 * 24, 8],
  [12 * 12, 8],
  [8 * 8, 16],
  [4 * 4, 16],
  [64, 1],
  [10, 1],
];

function reluLike(count: number, units: number, channels: number, seed: number): LayerActivations {
  const random = seededRandom(seed);
  const data = new Float32Array(count * units * channels);
  for (let i = 0; i < data.length; i++) data[i] = random() < 0.5 ? 0 : random() * 4;
  return { count, units, channels, data };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Milliseconds of thread CPU (user + system) and wall clock that `run` takes. */
function timed(run: () => void): { ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const t = performance.now();
  run();
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

/** Runs the comparison; returns its report, one printable line per entry, and whether a goal was missed. */
export function benchBinning(): { lines: string[]; missed: number } {
  const layers = SHAPES.map(([units, channels], l) => reluLike(PROBE, units, channels, 100 + l));
  const labels = Int32Array.from({ length: PROBE }, (_, i) => i % 10);
  const values = layers.reduce((s, l) => s + l.count * l.units * l.channels, 0);
  const cases = {
    'channel entropies': (kernel: 'js' | 'wasm-simd') => layers.map((l) => sampleChannelEntropies(l, 32, kernel).entropyBits),
    'binned information': (kernel: 'js' | 'wasm-simd') => layers.map((l) => binnedInformation(l, labels, 30, kernel)),
  };
  const lines = [
    `LeNet's layer outputs at probe ${PROBE} (${values.toLocaleString('en')} values an epoch, half zeros), one thread, median of ${REPETITIONS}:`,
  ];
  let missed = 0;
  for (const [name, run] of Object.entries(cases)) {
    const same = JSON.stringify(run('js'), replacer) === JSON.stringify(run('wasm-simd'), replacer);
    const js: { ms: number; cpuMs: number }[] = [];
    const wasm: { ms: number; cpuMs: number }[] = [];
    for (let r = 0; r < REPETITIONS; r++) {
      js.push(timed(() => run('js')));
      wasm.push(timed(() => run('wasm-simd')));
    }
    const jsNs = (median(js.map((t) => t.ms)) * 1e6) / values;
    const wasmNs = (median(wasm.map((t) => t.ms)) * 1e6) / values;
    const ok = wasmNs <= GOAL_NS_PER_VALUE && same;
    if (!ok) missed++;
    lines.push(
      `  ${name.padEnd(20)} JS ${jsNs.toFixed(1)} ns/value (${median(js.map((t) => t.ms)).toFixed(1)} ms, CPU ${median(js.map((t) => t.cpuMs)).toFixed(1)} ms), ` +
        `WebAssembly SIMD ${wasmNs.toFixed(1)} ns/value (${median(wasm.map((t) => t.ms)).toFixed(1)} ms, CPU ${median(wasm.map((t) => t.cpuMs)).toFixed(1)} ms) ` +
        `→ ${(jsNs / wasmNs).toFixed(1)}× faster, same bits: ${same} (goal ≤ ${GOAL_NS_PER_VALUE} ns/value${ok ? '' : ' — GOAL MISSED'})`,
    );
  }
  lines.push(`  load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
  return { lines, missed };
}

/** JSON of typed arrays and NaN, so that two results compare bit for bit as text. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Float64Array) return Array.from(value, (x) => (Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : x));
  return value;
}

// Standalone when this file is the script run: testing the script name rather than
// `require.main === module` keeps this inert inside an esbuild bundle.
if (/binningBench\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) for (const line of benchBinning().lines) console.log(line);
