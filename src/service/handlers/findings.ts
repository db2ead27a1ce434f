/**
 * `findings`: the rules of src/service/findings/ on the run's recorded metrics at an epoch (the last
 * recorded by default), with the evidence that costs a forward pass gathered here: each
 * multi-channel layer's capacity with itself where the near-duplicate screen keeps a pair, its
 * channels' label information from the same distance codes, the model's topology, each probe
 * input's loss where the probe loss may be rising (the bootstrap of that rule), and the measured
 * ablation of the channels the findings name.
 */
import { CONTROL_THRESHOLDS, controlFindings } from '../findings/control';
import { addAblations, gatherEvidence, probeLossesAt, topology } from '../findings/evidence';
import { checkCancelled } from './capacityMatrix';
import { computeFindings } from '../findings/rules';
import type { FindingRule, FindingsInput } from '../findings/types';
import { probeLossEpochs } from '../findings/trainingRules';
import { QueryError } from '../../contract/queries';
import type { Handler } from './handler';

/**
 * Rules beyond the single run's (src/service/findings/rules.ts RULES): a control run's own
 * findings (src/service/findings/control.ts), its accuracy against chance.
 */
const controlRule: FindingRule = (input) => ({
  findings: input.manifest.control ? controlFindings(input.manifest, input.metrics, input.epoch) : [],
  skipped: [],
});

export const EXTRA_RULES: FindingRule[] = [controlRule];

export const findings: Handler<'findings'> = async (q, ctx) => {
  const recorded = ctx.manifest.epochs;
  const epoch = q.epoch ?? recorded.at(-1);
  if (epoch === undefined) throw new QueryError('epoch-not-recorded', `run ${ctx.manifest.id} has no recorded epoch yet`);
  ctx.metricsAt(epoch);
  const progress = (fraction: number, message: string) => ctx.control.onProgress?.(fraction * 0.8, message);
  const { evidence, skipped } = await gatherEvidence(ctx, epoch, progress);
  checkCancelled(ctx);
  const inputsOf = await topology(ctx, epoch);
  const input: FindingsInput = {
    manifest: ctx.manifest,
    metrics: ctx.run.record.metrics,
    epoch,
    evidence,
    evidenceSkipped: skipped,
    inputsOf,
  };
  // Only a rise the recorded losses make a candidate costs forward passes: each probe input's loss at the epochs it compares.
  const probeLosses = await probeLossesAt(ctx, probeLossEpochs(input));
  const result = computeFindings({ ...input, probeLosses }, EXTRA_RULES);
  ctx.control.onProgress?.(0.8, 'findings: ablating the channels they name');
  const measured = await addAblations(ctx, epoch, result.findings);
  return {
    epoch,
    findings: measured.findings,
    thresholds: { ...result.thresholds, ...CONTROL_THRESHOLDS },
    skipped: [...result.skipped, ...measured.skipped],
  };
};
