/** `channelImportance`: being written (issue in progress). */
import { QueryError } from '../queries';
import type { Handler } from './handler';

export const channelImportance: Handler<'channelImportance'> = () => {
  throw new QueryError('unsupported', 'channelImportance is not answered yet');
};
