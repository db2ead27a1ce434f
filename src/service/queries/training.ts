/** `training`: the recorded loss, accuracy and label entropies of every epoch (paper Fig. 6). */
import * as v from 'valibot';
import { always, defineQuery, never } from './descriptor';
import { BitsList, BitsRows, NumberList, queryFields } from './fields';

export const training = defineQuery({
  kind: 'training',
  query: queryFields('training', {}),
  answer: v.object({
    epochs: NumberList,
    classNames: v.array(v.string()),
    trainLoss: BitsList,
    trainAccuracy: BitsList,
    probeLoss: BitsList,
    probeAccuracy: NumberList,
    /** `[class][epoch index]`, paper Fig. 6. */
    hLabelGivenPred: BitsRows,
    hPredGivenLabel: BitsRows,
  }),
  fromRecord: always,
  cached: false,
  quick: never,
  forwardPass: false,
});

export type TrainingAnswer = v.InferOutput<typeof training.answer>;
