import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../src/analysis';

/**
 * Random images in the official CIFAR-10 binary format (label byte + 3072 pixel bytes), so the
 * real reader runs: no CIFAR-10 download is on the machines the benchmark runs on.
 */
export function writeFakeCifar(dir: string, count: number): string {
  const folder = join(dir, 'cifar-10-batches-bin');
  mkdirSync(folder, { recursive: true });
  const random = seededRandom(5);
  const bytes = new Uint8Array(count * 3073);
  for (let i = 0; i < count; i++) {
    bytes[i * 3073] = i % 10;
    for (let p = 1; p < 3073; p++) bytes[i * 3073 + p] = Math.floor(random() * 256);
  }
  writeFileSync(join(folder, 'data_batch_1.bin'), bytes);
  return folder;
}
