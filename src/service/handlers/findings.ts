/** `findings`: being written (issue in progress). */
import { QueryError } from '../queries';
import type { Handler } from './handler';

export const findings: Handler<'findings'> = () => {
  throw new QueryError('unsupported', 'findings is not answered yet');
};
