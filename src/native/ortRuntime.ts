/**
 * ONNX Runtime (onnxruntime-node, Microsoft's native runtime), loaded once, at first use, and the
 * session settings every native forward pass shares (docs/native-engine.md). Where the native
 * module cannot load, `nativeRuntime()` says why in one line and the caller runs the WebAssembly
 * engine (src/tfjs) instead.
 */
import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { type ExecutionProvider, isExecutionProvider } from '../contract/recordSettings';
import { directRunner, DirectSession } from './ortDirect';
import { keepOrtTelemetryOff } from './ortTelemetry';

/** The onnxruntime-node namespace. */
export type OrtModule = typeof Ort;

/** The environment variable that, set to `wasm`, keeps the native runtime unloaded (tests and benches compare the engines). */
export const ENGINE_VARIABLE = 'CNN_SLICER_ENGINE';

/** How the package is loaded: `require` in production, a fake in tests. */
export type OrtLoader = () => unknown;

let loaded: { ort: OrtModule } | { reason: string } | undefined;

/**
 * The native runtime, loaded on the first call and kept (a failure too), or one line saying why it
 * cannot load: the package missing, its binary failing to load, or a platform it has no build for.
 * `CNN_SLICER_ENGINE=wasm` in the environment answers `{ reason: 'CNN_SLICER_ENGINE=wasm' }`
 * without loading anything, on every call.
 */
export function nativeRuntime(load: OrtLoader = requireOrt): { ort: OrtModule } | { reason: string } {
  if (process.env[ENGINE_VARIABLE] === 'wasm') return { reason: `${ENGINE_VARIABLE}=wasm` };
  loaded ??= loadRuntime(load);
  return loaded;
}

/** Forgets what `nativeRuntime` loaded, so that the next call loads again (tests). */
export function resetNativeRuntime(): void {
  loaded = undefined;
}

function requireOrt(): unknown {
  // A plain require at run time: esbuild keeps the package external (esbuild.mjs), it is a native
  // module, and a missing install is an exception here rather than a build error.
  return require('onnxruntime-node') as unknown;
}

function loadRuntime(load: OrtLoader): { ort: OrtModule } | { reason: string } {
  const platform = `${process.platform}-${process.arch}`;
  let ort: OrtModule;
  keepOrtTelemetryOff(); // before the runtime starts: it reads the variable once
  try {
    ort = load() as OrtModule;
  } catch (e) {
    const error = e as NodeJS.ErrnoException;
    const message = firstLine(error?.message ?? String(e));
    if (error?.code === 'MODULE_NOT_FOUND' && /onnxruntime-node['"]?$|'onnxruntime-node'/.test(message))
      return { reason: 'onnxruntime-node is not installed' };
    if (/binding|napi|\.node\b|no such file/i.test(message) && /cannot find|not found|no such file/i.test(message))
      return { reason: `onnxruntime-node has no native build for ${platform}: ${message}` };
    return { reason: `onnxruntime-node's native binary failed to load on ${platform}: ${message}` };
  }
  if (typeof ort?.InferenceSession?.create !== 'function' || typeof ort.Tensor !== 'function')
    return { reason: 'onnxruntime-node loaded without its InferenceSession: a broken installation' };
  // Its own log lines (a provider library that cannot load) would land in the CLI's output; the same
  // failures reach us as errors, which say it in one line.
  if (ort.env) ort.env.logLevel = 'fatal';
  return { ort };
}

/**
 * The first line of a message, trimmed, without ONNX Runtime's source location and failed check
 * (`/onnxruntime_src/…/webgpu_context.cc:136 … was false. Failed to get a WebGPU adapter: …`).
 */
export function firstLine(message: string): string {
  const line = (message.split('\n').find((l) => l.trim()) ?? message).trim();
  if (!/^\/\S+:\d+ /.test(line)) return line;
  const check = line.indexOf(' was false. ');
  return check >= 0 ? line.slice(check + ' was false. '.length).trim() : line.replace(/^\/\S+:\d+ /, '');
}

/**
 * The graph optimisations of the plain layout: every one that rewrites nodes in place of the graph
 * (constant folding, fusions of nodes whose joint values are no graph output), not the layout ones of
 * `all` (docs/native-engine.md, "The blocked layout").
 */
export const GRAPH_OPTIMIZATION = 'extended';

/**
 * How a checkpoint's sessions lay out convolutions: `plain` (NCHW, the {@link GRAPH_OPTIMIZATION}
 * level), or `blocked` (ONNX Runtime's `all` level: NCHWc channel blocks on x86 CPUs, with the nodes
 * rewritten that would take it by their neighbours, src/onnx/stableLayout.ts). Every session of one
 * checkpoint has the same layout, so that a layer's bits never depend on the pass; which one is the
 * checkpoint's (src/onnx/stableLayout.ts `blockedLayoutPays`).
 */
export type SessionLayout = 'plain' | 'blocked';

/** Whether the sessions this thread makes keep their intra-op threads spinning between operators ({@link stopSpinning}). */
let spinning = true;

/**
 * Makes the sessions this thread makes from now on let their intra-op threads sleep between
 * operators instead of spinning (ONNX Runtime's default). The native pass worker
 * (src/native/passWorker.ts) shares the cores with the thread measuring the epoch, whose
 * summaries need the CPU a spinning thread burns: `measure` of the CIFAR ResNet-18 run (probe 500,
 * the machine loaded at 4–5) took 15.2–20.4 s and 20–21 s of user CPU with sleeping threads,
 * against 29–35 s and 28–30 s spinning. Where the runtime has the cores to itself (the analysis
 * service's passes) spinning stays: it was faster there (docs/native-engine.md); `findings` and
 * `report` stop it ({@link setSpinning}). `cnn-slicer
 * measure` stops spinning on its own thread too, where a deep model's pass stays on it: ResNet-50
 * at 224, probe 100, at a load of about 4.4: 59.2 s (45.8 s user CPU) against 67.7 s (68.4 s).
 */
export function stopSpinning(): void {
  setSpinning(false);
}

/**
 * Sets whether the sessions this thread makes from now on spin ({@link stopSpinning}), and returns
 * the setting before, for a command that puts it back. `cnn-slicer findings` and `report` stop it
 * once their run is measured: their forward passes run beside the compute workers' comparisons (the
 * findings' two layers in flight, the report's two queries at once), on the same cores. The CIFAR
 * ResNet-18 run (probe 200, 2 shared cores, load 3.5–5): findings 22–25 s wall and 25 s CPU with
 * sleeping threads, 28–31 s and 30 s spinning; the default report in its 60 s computed about as
 * many answers either way (301 and 230 sleeping, 228 and 230 spinning), at 59 s of CPU against 64 s.
 */
export function setSpinning(spin: boolean): boolean {
  const before = spinning;
  spinning = spin;
  return before;
}

/**
 * The session settings: every core for one operator (`intraOpNumThreads`), operators one at a time
 * (`interOpNumThreads` 1: a CNN is a chain, and two pools of threads on the same cores only
 * compete), the graph optimisations of `layout` ({@link SessionLayout}), memory given back after each
 * run, the intra-op threads spinning unless {@link stopSpinning}, and the provider.
 */
export function sessionOptions(provider: ExecutionProvider = 'cpu', layout: SessionLayout = 'plain'): Ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    intraOpNumThreads: availableParallelism(),
    interOpNumThreads: 1,
    ...(spinning ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
    graphOptimizationLevel: layout === 'blocked' ? 'all' : GRAPH_OPTIMIZATION,
    executionMode: 'sequential',
    // No arena: each session's arena keeps its largest run's memory for good, a chunk's outputs and
    // working buffers, and a deep model has a session per segment (6 sessions of 16 layers at 32×32×64
    // for 200 inputs kept 6.9 GB with it, 1.7 GB without, at the same speed).
    enableCpuMemArena: false,
    enableMemPattern: false,
    // Warnings (a provider that falls back, a node placed on the CPU) would land in the CLI's output.
    logSeverityLevel: 3,
  };
}

/**
 * What this project runs a model with: onnxruntime-node's `InferenceSession`, or on the CPU the
 * direct runner's session (ortDirect.ts), which writes preallocated outputs in place.
 */
export interface RuntimeSession {
  /** Runs the model; `fetches` names the outputs, or gives their arrays, which the run fills. */
  run(feeds: Record<string, Ort.Tensor>, fetches: readonly string[] | Record<string, Ort.Tensor>): Promise<Record<string, Ort.Tensor>>;
  release(): Promise<void>;
  /**
   * Whether the runtime writes a preallocated output straight into the caller's array, without a
   * copy (the direct runner's sessions: ortDirect.ts). onnxruntime-node's binding copies every
   * output it returns into a new array, preallocated ones too.
   */
  readonly writesInPlace?: boolean;
}

/** A session and the provider it runs on; `reason` says why the provider asked for is not the one in use. */
export interface OpenedSession {
  session: RuntimeSession;
  provider: ExecutionProvider;
  reason?: string;
}

/**
 * A session for `model` (an ONNX model's bytes) on `provider`, or on the CPU, with one line saying
 * why, when the installation has no such provider (listSupportedBackends) or the session cannot be
 * created on it (no adapter for WebGPU, no CUDA libraries); in `layout` ({@link SessionLayout}).
 * @throws the runtime's error when even the CPU session cannot be created (a model it cannot run).
 */
export async function createSession(
  ort: OrtModule,
  model: Uint8Array,
  provider: ExecutionProvider = 'cpu',
  layout: SessionLayout = 'plain',
): Promise<OpenedSession> {
  if (provider !== 'cpu') {
    const unavailable = providerUnavailable(ort, provider);
    if (!unavailable) {
      try {
        const session = await ort.InferenceSession.create(model, { ...sessionOptions(provider, layout), logSeverityLevel: 4 });
        return { session, provider };
      } catch (e) {
        const session = await cpuSession(ort, model, layout);
        const bundled = ort.listSupportedBackends().find((b) => b.name === provider)?.bundled;
        const hint =
          bundled === false
            ? ` (onnxruntime-node's ${provider} libraries are not bundled; its install step downloads them and was skipped)`
            : '';
        return { session, provider: 'cpu', reason: `${provider}: ${firstLine((e as Error).message ?? String(e))}${hint}; using the CPU` };
      }
    }
    const session = await cpuSession(ort, model, layout);
    return { session, provider: 'cpu', reason: `${provider}: ${unavailable}; using the CPU` };
  }
  return { session: await cpuSession(ort, model, layout), provider: 'cpu' };
}

/**
 * Whether sessions on `provider` write their outputs into arrays in shared memory: the direct
 * runner's CPU sessions do (they write into any array they are given); onnxruntime-node's binding
 * refuses a SharedArrayBuffer (`Invalid argument`).
 */
export function sessionsWriteShared(provider: ExecutionProvider): boolean {
  return provider === 'cpu' && 'direct' in directRunner();
}

/** A CPU session: the direct runner's where it loads (ortDirect.ts), else the binding's. */
async function cpuSession(ort: OrtModule, model: Uint8Array, layout: SessionLayout): Promise<RuntimeSession> {
  const runner = directRunner();
  if ('direct' in runner) return DirectSession.create(runner.direct, ort, model, availableParallelism(), spinning, layout === 'blocked');
  return ort.InferenceSession.create(model, sessionOptions('cpu', layout));
}

/** Why the installed runtime has no `provider`, or undefined when it lists it (bundled or installed beside it). */
function providerUnavailable(ort: OrtModule, provider: ExecutionProvider): string | undefined {
  const backends = ort.listSupportedBackends?.() ?? [];
  const entry = backends.find((b) => b.name === provider);
  if (!entry) return `this onnxruntime-node build has no ${provider} provider on ${process.platform}-${process.arch}`;
  // Not bundled: installed beside the package by its install step (skipped here), or not at all; creating the session tells.
  return undefined;
}

/** The environment variable naming the provider for processes the extension starts (its `cnnSlicer.executionProvider` setting). */
export const PROVIDER_VARIABLE = 'CNN_SLICER_PROVIDER';

/**
 * The provider `CNN_SLICER_PROVIDER` names; the CPU when it is unset. A value that names no
 * provider is the CPU as well (the sessions' own fallback line says nothing of it, so the CLI
 * checks its flag itself).
 */
export function providerFromEnvironment(): ExecutionProvider {
  const named = process.env[PROVIDER_VARIABLE]?.trim().toLowerCase();
  return named && isExecutionProvider(named) ? named : 'cpu';
}
