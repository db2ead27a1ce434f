// The numbers of a model module's `training` export (docs/models.md) read from its text without
// running it, so the Analyze CNN flow can show the epochs and batch size a recording will use.
// Only literal numbers are read; anything computed is left to the recorder.
import { isOptimizer } from '../../contract/recordSettings';
import { Kind, type Tokens, tokenize } from '../detection/lexer';

export interface TrainingNumbers {
  epochs?: number;
  batchSize?: number;
  /** A literal positive learning rate. */
  learningRate?: number;
  /** A literal optimizer name the recorder knows (sgd, adam, rmsprop). */
  optimizer?: string;
}

/** The index of the `{` that starts the value of `training`'s declaration at `i`, or -1. */
function objectAfter(t: Tokens, i: number): number {
  // `training: TrainingConfig = {`: skip a type annotation up to the `=` at this level.
  let k = i + 1;
  for (let depth = 0; k < t.length && k - i < 200; k++) {
    if (t.punct(k, '<') || t.punct(k, '(') || t.punct(k, '[')) depth++;
    else if (t.punct(k, '>') || t.punct(k, ')') || t.punct(k, ']')) depth--;
    else if (depth === 0 && (t.punct(k, '=') || t.punct(k, ';'))) break;
  }
  return t.punct(k, '=') && t.punct(k + 1, '{') ? k + 1 : -1;
}

/** Where the `training` export's object literal starts: `export const training = {`, `exports.training = {`. */
function trainingObject(t: Tokens): number {
  for (let i = 0; i < t.length; i++) {
    if (!t.ident(i, 'training')) continue;
    const declared = (t.ident(i - 1, 'const') || t.ident(i - 1, 'let') || t.ident(i - 1, 'var')) && t.ident(i - 2, 'export');
    const assigned = t.punct(i - 1, '.') && t.ident(i - 2, 'exports');
    if (declared || assigned) {
      const open = objectAfter(t, i);
      if (open >= 0) return open;
    }
  }
  return -1;
}

/** The literal `epochs`, `batchSize`, `learningRate` and `optimizer` of a module's `training` export; empty when it has none. */
export function trainingNumbers(text: string): TrainingNumbers {
  if (!text.includes('training')) return {};
  const t = tokenize(text);
  const open = trainingObject(t);
  if (open < 0) return {};
  const out: TrainingNumbers = {};
  for (let k = open + 1, depth = 0; k < t.length; k++) {
    if (t.punct(k, '{') || t.punct(k, '(') || t.punct(k, '[')) depth++;
    else if (t.punct(k, ')') || t.punct(k, ']')) depth--;
    else if (t.punct(k, '}')) {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && t.punct(k + 1, ':') && (t.punct(k + 3, ',') || t.punct(k + 3, '}'))) {
      const value = t.kind[k + 2] === Kind.Number ? Number(t.text.slice(t.start[k + 2], t.end[k + 2])) : NaN;
      if ((t.ident(k, 'epochs') || t.ident(k, 'batchSize')) && Number.isInteger(value) && value > 0) out[t.value(k) as 'epochs'] = value;
      else if (t.ident(k, 'learningRate') && value > 0 && Number.isFinite(value)) out.learningRate = value;
      else if (t.ident(k, 'optimizer') && t.isString(k + 2) && isOptimizer(t.value(k + 2))) out.optimizer = t.value(k + 2);
    }
  }
  return out;
}
