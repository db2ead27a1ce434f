// The repository's files as the repository tests see them: paths relative to its root, below a
// folder, leaving out node_modules, dist and .git.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const REPOSITORY_ROOT = path.resolve(__dirname, '../..');

/** Every file below `dir` (relative to the repository's root, e.g. 'test/unit'), as 'test/integration/run/store.test.ts'; `dir` itself when it is a file. */
export function filesBelow(dir: string): string[] {
  const full = path.join(REPOSITORY_ROOT, dir);
  if (!existsSync(full)) return [];
  if (statSync(full).isFile()) return [dir];
  return readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    if (['node_modules', 'dist', '.git'].includes(entry.name)) return [];
    const child = `${dir}/${entry.name}`;
    return entry.isDirectory() ? filesBelow(child) : [child];
  });
}
