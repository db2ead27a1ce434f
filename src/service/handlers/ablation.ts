/** `ablation`: being written (issue in progress). */
import { QueryError } from '../queries';
import type { Handler } from './handler';

export const ablation: Handler<'ablation'> = () => {
  throw new QueryError('unsupported', 'ablation is not answered yet');
};
