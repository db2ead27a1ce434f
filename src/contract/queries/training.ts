/**
 * `training`: the recorded loss, accuracy and label entropies of every epoch (paper Fig. 6); with an
 * input subset `x`, the probe measures (loss, accuracy, label entropies) of those inputs alone
 * (paper 5.2: the charts follow the selected inputs), from a forward pass at every epoch.
 */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { BitsList, BitsRows, NumberList, queryFields, SubsetSchema } from './fields';

/** Whether a `training` query is about every probe input (what the recorder measured). */
const everyInput = (q: { x?: { kind: string } }) => !q.x || q.x.kind === 'all';

export const training = defineQuery({
  kind: 'training',
  query: queryFields('training', { x: v.optional(SubsetSchema) }),
  answer: v.object({
    epochs: NumberList,
    classNames: v.array(v.string()),
    /** Over the whole training set, whatever `x` is: the recorder's means over each epoch. */
    trainLoss: BitsList,
    trainAccuracy: BitsList,
    /** The probe set's, or with `x` the subset's. */
    probeLoss: BitsList,
    probeAccuracy: NumberList,
    /** `[class][epoch index]`, paper Fig. 6; with `x`, over the subset's inputs. */
    hLabelGivenPred: BitsRows,
    hPredGivenLabel: BitsRows,
    /** With `x` (not "all"): how many probe inputs the probe measures are over. */
    inputCount: v.optional(v.number()),
  }),
  fromRecord: everyInput,
  // Not kept in the answer cache: its key does not change as a recording adds epochs, and the curves must.
  cached: false,
  quick: never,
  // The curves of every input are read from the record; a subset's runs the model once an epoch,
  // but stays with the cheap answers: the Training view's curves come before the slices.
  forwardPass: false,
});

export type TrainingAnswer = v.InferOutput<typeof training.answer>;
