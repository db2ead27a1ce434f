/** `smallMultiples`: each channel's recorded entropy at every epoch, overall and per class (paper Fig. 7). */
import * as v from 'valibot';
import { always, defineQuery, never } from './descriptor';
import { BitsRows, index, NumberList, queryFields } from './fields';

export const smallMultiples = defineQuery({
  kind: 'smallMultiples',
  query: queryFields('smallMultiples', { layer: index('layer') }),
  answer: v.object({
    layer: v.number(),
    epochs: NumberList,
    channels: v.number(),
    /** `[channel][epoch index]`. */
    all: BitsRows,
    /** `[class][channel][epoch index]`. */
    perClass: v.array(BitsRows),
    deadChannels: v.array(NumberList),
  }),
  fromRecord: always,
  cached: false,
  quick: never,
  forwardPass: false,
});

export type SmallMultiplesAnswer = v.InferOutput<typeof smallMultiples.answer>;
