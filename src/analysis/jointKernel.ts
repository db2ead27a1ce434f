/**
 * The joint-histogram kernel of the capacity matrix (wasm/jointQuad.wat; capacity.ts
 * `JointHistograms` drives it): its exports, and one instance per thread.
 */
import { bytes as jointWasmBytes } from './wasm/jointQuadWasm';
import { compiledOnce, growTo, instantiate, KernelMemory } from './wasmModules';

/** The arguments both joint-histogram kernels take (wasm/jointQuad.wat describes them). */
type JointCall = (
  col: number,
  quad: number,
  pairs: number,
  tables: number,
  out: number,
  cells: number,
  accumulate: number,
  xLogX: number,
  result: number,
) => void;

export interface JointExports {
  memory: KernelMemory;
  interleave4(a: number, b: number, c: number, d: number, out: number, pairs: number, shift: number): void;
  scale(codes: number, out: number, pairs: number, factor: number): void;
  jointQuad: JointCall;
  /** jointQuad for tables of at most {@link SMALL_TABLE_BYTES}: doubled bins, tables at a fixed stride. */
  jointSmall: JointCall;
  sums(out: number, bins: number, xLogX: number, result: number): void;
}

/**
 * The stride of jointSmall's eight tables (wasm/jointQuad.wat, where it is written as constants):
 * joint histograms of up to this many bytes of u16 counts (32 × 32 bins: 2,048) take that kernel.
 */
export const SMALL_TABLE_BYTES = 2112;

/** Most row bins jointSmall takes: their codes, doubled, still fit a byte. */
export const SMALL_ROW_BINS = 128;

/** wasm/jointQuad.wat compiled, or null without WebAssembly: the JS loop takes over. */
const compileJointModule = compiledOnce(jointWasmBytes);

/** This thread's instance of the kernel and its memory. */
export interface JointKernel {
  exports: JointExports;
  reserve(bytes: number): ArrayBuffer;
  /** Which JointHistograms last loaded row codes into the memory, and where. */
  loaded?: { owner: object; layout: string };
}

let jointInstance: JointKernel | null | undefined;

/** This thread's joint-histogram kernel (one instance, reused: WebAssembly memories never shrink). */
export function jointKernel(): JointKernel | undefined {
  if (jointInstance !== undefined) return jointInstance ?? undefined;
  const module = compileJointModule();
  if (module) {
    const exports = instantiate<JointExports>(module);
    jointInstance = { exports, reserve: (bytes: number) => growTo(exports.memory, bytes) };
  } else jointInstance = null;
  return jointInstance ?? undefined;
}
