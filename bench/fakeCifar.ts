import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../src/analysis';

/**
 * Images in the official CIFAR-10 binary format (label byte + 3072 pixel bytes: 1024 red, 1024
 * green, 1024 blue), so the real reader runs: no CIFAR-10 download is on the machines the
 * benchmark runs on. Random bytes by default; `structured` draws each class as stripes of its own
 * colour, direction and frequency at a random phase, under noise, so a network learns them and the
 * views show what they would on real data (entropies that move, channels that differ).
 */
export function writeFakeCifar(dir: string, count: number, o: { structured?: boolean } = {}): string {
  const folder = join(dir, 'cifar-10-batches-bin');
  mkdirSync(folder, { recursive: true });
  const random = seededRandom(5);
  const bytes = new Uint8Array(count * 3073);
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    const at = i * 3073;
    bytes[at] = label;
    if (!o.structured) {
      for (let p = 1; p < 3073; p++) bytes[at + p] = Math.floor(random() * 256);
      continue;
    }
    const hue = (label * 2 * Math.PI) / 10;
    const colour = [0, 1, 2].map((k) => 0.5 + 0.5 * Math.cos(hue - (k * 2 * Math.PI) / 3));
    const frequency = (1 + (label % 5)) * 0.25;
    const vertical = label >= 5;
    const phase = random() * 2 * Math.PI;
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const stripe = 0.5 + 0.5 * Math.sin((vertical ? x : y) * frequency + phase);
        for (let k = 0; k < 3; k++) {
          const v = 255 * (0.15 + 0.7 * stripe * colour[k]) + (random() - 0.5) * 90;
          bytes[at + 1 + k * 1024 + y * 32 + x] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
  }
  writeFileSync(join(folder, 'data_batch_1.bin'), bytes);
  return folder;
}
