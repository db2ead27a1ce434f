/**
 * A tiny recorded run for the tests of the analysis service: the multi-file fixture model trained
 * for two epochs on synthetic data (epochs 0, 1 and 2 — one more than the two models a run keeps
 * loaded), recorded on the wasm backend into a fresh temporary runs folder.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { recordRun, RecordOptions, RecordResult } from '../../src/recorder/record';

export const TINY_MODEL = resolve(__dirname, '../fixtures/models/multiFile.ts');

/**
 * Records the tiny run under a new temporary folder named with `prefix`; the caller removes `runs`.
 * `options` override the tiny run's (e.g. `trainThreads`); `log` receives the recorder's log lines.
 */
export async function recordTinyRun(
  prefix: string,
  options: Partial<RecordOptions> = {},
  log?: (line: string) => void,
): Promise<RecordResult & { runs: string }> {
  const runs = mkdtempSync(join(tmpdir(), prefix));
  const r = await recordRun(
    {
      modelFile: TINY_MODEL,
      dataset: 'synthetic:300',
      epochs: 2,
      batchSize: 16,
      probeSize: 60,
      runsFolder: runs,
      k: 20,
      backend: 'wasm',
      ...options,
    },
    { log },
  );
  return { ...r, runs };
}
