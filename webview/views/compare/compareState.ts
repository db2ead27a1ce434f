// The comparison view's persisted state: the epoch of the per-layer values, the information-plane
// estimator, and whether the networks are shown (each is a forward pass per run, so off by default).
import * as v from 'valibot';
import type { CompareEpochChoice } from '../../compare';
import { INFORMATION_ESTIMATORS } from '../../../src/contract/plan';
import type { InformationEstimator } from '../../../src/contract/plan';
import { useSchemaViewState } from '../../state';

export const EpochChoiceSchema = v.union([v.literal('last'), v.pipe(v.number(), v.integer(), v.minValue(0))]);
export const EstimatorSchema = v.picklist(INFORMATION_ESTIMATORS);

export function useEpochChoice(): [CompareEpochChoice, (c: CompareEpochChoice) => void] {
  return useSchemaViewState('compareEpoch', EpochChoiceSchema, 'last');
}

export function useEstimator(): [InformationEstimator, (e: InformationEstimator) => void] {
  return useSchemaViewState('compare.information.estimator', EstimatorSchema, 'pairwise');
}

export function useNetworksOpen(): [boolean, (open: boolean) => void] {
  return useSchemaViewState('compare.networks', v.boolean(), false);
}
