/**
 * The per-class channel entropies of a measured epoch in its run folder (src/contract/perClassFile.ts
 * has the layout): written before the line that names the file, and read one layer's block at a
 * time, with the bounded reader's checks (a regular file inside the run folder). A line that still
 * holds its per-class entropies (runs measured before the file) is read as it is.
 */
import { join } from 'node:path';
import { perClassBlock, perClassRows, splitPerClass } from '../contract/perClassFile';
import { PER_CLASS_FILE_NAME } from '../contract/runSchema';
import { RunFormatError, type EpochMetrics } from '../contract/runFormat';
import { FileReadError, readBoundedRange, readBoundedRangeAsync } from './read';

/**
 * The line to append for `metrics`, its per-class entropies written first to the file it names
 * (`write`: an atomic, durable write of the run's files, whose failure the caller reports as its
 * own). A line whose per-class entropies are out already is returned as it is.
 */
export function writePerClass(folder: string, metrics: EpochMetrics, write: (path: string, bytes: Uint8Array) => void): EpochMetrics {
  const { line, bytes } = splitPerClass(metrics);
  if (bytes && line.perClassFile) write(join(folder, line.perClassFile), bytes);
  return line;
}

/** Where layer `layer`'s per-class entropies lie: in the line, or a block of its file. */
function where(folder: string, line: EpochMetrics, classes: number, layer: number) {
  const inLine = line.layers[layer]?.channelBitsPerClass;
  if (inLine) return { inLine };
  const file = line.perClassFile;
  // validateEpochMetrics lets no other name through; a line built elsewhere is checked here too.
  if (file === undefined || !PER_CLASS_FILE_NAME.test(file))
    throw new RunFormatError(
      `epoch ${line.epoch}'s metrics line names no per-class file; the run folder is damaged — record the run again`,
    );
  return { path: join(folder, file), block: perClassBlock(line, classes, layer) };
}

function damaged(line: EpochMetrics, e: unknown): RunFormatError {
  const message = FileReadError.is(e) ? e.message : String((e as Error)?.message ?? e);
  return new RunFormatError(
    `the per-class entropies of epoch ${line.epoch} cannot be read: ${message}; the run folder is damaged — record the run again`,
  );
}

/**
 * Layer `layer`'s `[class][channel]` entropies at the epoch of `line`, from the line or its per-class
 * file (a run of `classes` classes in `folder`).
 * @throws RunFormatError when the file is missing, short or not a regular file inside the run.
 */
export function layerPerClass(folder: string, line: EpochMetrics, classes: number, layer: number): (number | null)[][] {
  const w = where(folder, line, classes, layer);
  if (w.inLine) return w.inLine;
  try {
    const bytes = readBoundedRange(w.path, { within: folder, from: w.block.offset, length: w.block.bytes });
    return perClassRows(bytes, classes, w.block.channels);
  } catch (e) {
    throw damaged(line, e);
  }
}

/** {@link layerPerClass} without blocking the event loop (the extension host's hovers). */
export async function layerPerClassAsync(folder: string, line: EpochMetrics, classes: number, layer: number): Promise<(number | null)[][]> {
  const w = where(folder, line, classes, layer);
  if (w.inLine) return w.inLine;
  try {
    const bytes = await readBoundedRangeAsync(w.path, { within: folder, from: w.block.offset, length: w.block.bytes });
    return perClassRows(bytes, classes, w.block.channels);
  } catch (e) {
    throw damaged(line, e);
  }
}
