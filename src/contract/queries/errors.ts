/** The failures of a query: a code the protocols of the service and the webviews carry, and a readable one-line message. */
import { CodedError } from '../../analysis/errors';

/** Every code a failed query carries; the protocols of the service and the webviews accept exactly these. */
export const QUERY_ERROR_CODES = [
  'bad-query',
  'unknown-run',
  'out-of-range',
  'epoch-not-recorded',
  'run-format',
  'unsupported',
  'cancelled',
  'internal',
] as const;
export type QueryErrorCode = (typeof QUERY_ERROR_CODES)[number];

export class QueryError extends CodedError {
  declare readonly code: QueryErrorCode;
  constructor(code: QueryErrorCode, message: string) {
    super(code, message, 'QueryError');
  }
}

/** A query (or an encoded array) that does not say what it should, with the message naming what is wrong. */
export const badQuery = (message: string): QueryError => new QueryError('bad-query', message);
