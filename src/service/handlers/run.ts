/** `run`: the manifest and the notes of the run. */
import type { Handler } from './handler';

export const run: Handler<'run'> = (_q, ctx) => ({ manifest: ctx.manifest, notes: ctx.run.record.notes });
