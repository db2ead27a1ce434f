/**
 * What the engine of one CLI command keeps in memory across its queries (`report`, a comparison
 * report, `query`, `findings`), below the long-lived service's defaults (1 GiB of activations,
 * 256 MiB of capacity codes): a command asks each answer once, in its plan's order, so it re-reads
 * few layers (docs/views.md "Memory"). The answers are the same under either budget (only what is
 * computed again differs); `cnn-slicer findings` of the MobileNetV2 example: peak 2,589 → 1,629 MB
 * in the same time, the same answer.
 */
/** A command's native pass budget (COMMAND_ENGINE_MEMORY `nativePassBytes`). */
const NATIVE_PASS_MB = 96;

export const COMMAND_ENGINE_MEMORY = {
  // 128 MiB: the CIFAR ResNet-18 report's peak 1.52 GB at 256 MiB → 1.40 GB, in the same time (a report
  // empties the caches around its whole-probe queries, reportCompute.ts: what it keeps between them
  // is seldom read again).
  memoryBytes: 128 * 1024 ** 2,
  codesBytes: 64 * 1024 ** 2,
  // A split forward pass allocates its layers at once: at the service's 512 MiB, the findings' pass
  // over MobileNetV2's layers held 0.5 GB beside the activations kept (splitForward.ts).
  maxSplitBytes: 192 * 1024 ** 2,
  segmentBytes: 96 * 1024 ** 2,
  // A native pass holds its segment's layers at once (src/native/nativeForward.ts, 512 MB by default):
  // `cnn-slicer findings` of the CIFAR ResNet-18 run (probe 200) peaked at 2.2 GB with it (2.15 GB at
  // 192 MB), 1.26 GB at 96 MB, at the same CPU time.
  nativePassBytes: NATIVE_PASS_MB * 1024 ** 2,
  // The compute pool's buffer for the next layer's codes (MobileNetV2: 56 MB) goes after a second
  // without one: the findings' ablations, the report's peak, compute no codes.
  keptLayerIdleMs: 1000,
};
