/**
 * The direct runner: CPU sessions run through this project's small Node-API module
 * (native/ort-direct/ortDirect.c, built to dist/ortDirect.node) instead of onnxruntime-node's
 * binding, so that a run's preallocated outputs are written by ONNX Runtime where the caller put
 * them, with no copy (docs/native-engine.md, "The direct runner"). The module loads the
 * libonnxruntime that onnxruntime-node ships: one runtime, the same kernels, the same bits.
 *
 * Where the module is not built (another platform, no compiler at install), or cannot open the
 * runtime, `directRunner()` says why and every session is the binding's, as before.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';

/** The onnxruntime-node namespace (ortRuntime.ts's OrtModule; restated here, which ortRuntime.ts imports). */
type OrtModule = typeof Ort;

/** The module's exports (native/ort-direct/ortDirect.c). */
interface DirectModule {
  open(libraryPath: string): void;
  createSession(model: Uint8Array, intraOpThreads: number, spinning: boolean, blocked: boolean): object;
  run(
    session: object,
    inputNames: string[],
    inputs: ArrayBufferView[],
    inputDims: number[][],
    outputNames: string[],
    outputs: (ArrayBufferView | null)[],
    outputDims: (number[] | null)[],
  ): Promise<{ data: Float32Array | Float64Array; dims?: number[] }[]>;
  release(session: object): void;
}

/** The environment variable that, set to `binding`, keeps every session on onnxruntime-node's binding (benches compare the two). */
export const RUNNER_VARIABLE = 'CNN_SLICER_ORT_RUNNER';

let loaded: { direct: DirectModule } | { reason: string } | undefined;

/** The direct module, opened on the runtime onnxruntime-node ships, or one line saying why not; loaded once. */
export function directRunner(): { direct: DirectModule } | { reason: string } {
  if (process.env[RUNNER_VARIABLE] === 'binding') return { reason: `${RUNNER_VARIABLE}=binding` };
  loaded ??= loadDirect();
  return loaded;
}

function loadDirect(): { direct: DirectModule } | { reason: string } {
  const modulePath = directModulePath();
  if (!modulePath) return { reason: 'the direct runner (ortDirect.node) is not built for this installation' };
  const library = runtimeLibrary();
  if (!library) return { reason: `onnxruntime-node's library was not found for ${process.platform}-${process.arch}` };
  try {
    // The binding's module links the same file: the dynamic loader keeps one copy of it.
    const loadedModule = { exports: {} as unknown };
    process.dlopen(loadedModule, modulePath);
    const direct = loadedModule.exports as DirectModule;
    direct.open(library);
    return { direct };
  } catch (e) {
    return { reason: `the direct runner failed to load: ${String((e as Error)?.message ?? e).split('\n')[0]}` };
  }
}

/** dist/ortDirect.node beside this bundle (or beside dist/ when run from the sources under test). */
function directModulePath(): string | undefined {
  const candidates = [join(__dirname, 'ortDirect.node'), join(__dirname, '..', '..', 'dist', 'ortDirect.node')];
  return candidates.find((p) => existsSync(p));
}

/** The libonnxruntime that onnxruntime-node's binding loads (its package's bin folder, napi-v6, this platform). */
function runtimeLibrary(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  let root: string;
  try {
    root = dirname(require.resolve('onnxruntime-node/package.json'));
  } catch {
    return undefined;
  }
  const library = join(root, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime.so.1');
  return existsSync(library) ? library : undefined;
}

/**
 * A CPU session on the direct runner, with the part of `InferenceSession` this project uses:
 * `run` (fetches preallocated, by name, or both) and `release`.
 */
export class DirectSession {
  /** The runtime writes preallocated outputs into the caller's arrays (RuntimeSession `writesInPlace`). */
  readonly writesInPlace = true;

  private constructor(
    private readonly direct: DirectModule,
    private readonly ort: OrtModule,
    private readonly handle: object,
  ) {}

  /** `blocked`: every graph optimisation, the blocked layout included (ortRuntime.ts `SessionLayout`); else the `extended` ones. */
  static create(
    direct: DirectModule,
    ort: OrtModule,
    model: Uint8Array,
    intraOpThreads: number,
    spinning: boolean,
    blocked = false,
  ): DirectSession {
    return new DirectSession(direct, ort, direct.createSession(model, intraOpThreads, spinning, blocked));
  }

  async run(
    feeds: Record<string, Ort.Tensor>,
    fetches: readonly string[] | Record<string, Ort.Tensor>,
  ): Promise<Record<string, Ort.Tensor>> {
    const inputNames = Object.keys(feeds);
    const inputs = inputNames.map((name) => tensorData(feeds[name], name));
    const given = Array.isArray(fetches) ? undefined : (fetches as Record<string, Ort.Tensor>);
    const outputNames = given ? Object.keys(given) : [...(fetches as readonly string[])];
    const outputs = outputNames.map((name) => (given ? tensorData(given[name], name) : null));
    const results = await this.direct.run(
      this.handle,
      inputNames,
      inputs,
      inputNames.map((name) => feeds[name].dims.map(Number)),
      outputNames,
      outputs,
      outputNames.map((name) => (given ? given[name].dims.map(Number) : null)),
    );
    const out: Record<string, Ort.Tensor> = {};
    outputNames.forEach((name, k) => {
      const r = results[k];
      out[name] = given
        ? given[name]
        : new this.ort.Tensor(r.data instanceof Float64Array ? 'float64' : 'float32', r.data, r.dims ?? [r.data.length]);
    });
    return out;
  }

  /** Releases the session (once any run in flight ends); asynchronous, as the binding's is. */
  async release(): Promise<void> {
    this.direct.release(this.handle);
  }
}

function tensorData(tensor: Ort.Tensor, name: string): Float32Array | Float64Array {
  const data = tensor.data;
  if (!(data instanceof Float32Array || data instanceof Float64Array))
    throw new TypeError(
      `${name}: the direct runner takes float32 and float64 tensors, not ${tensor.type} (${Object.prototype.toString.call(data)})`,
    );
  return data;
}
