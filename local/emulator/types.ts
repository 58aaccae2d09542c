import type { Clock } from '../../src/clock.js';

/** The caller of one request, worked out from its SigV4 credential. */
export interface RequestContext {
  accountId: string;
  /** Region from the SigV4 credential scope. */
  region: string;
  /** ARN of the local identity that owns the access key. */
  principalArn: string;
  accessKeyId: string;
  requestId: string;
  clock: Clock;
}

/** One operation of a JSON 1.1 service: takes the parsed request body, returns the response body. */
export type Operation = (input: Record<string, unknown>, context: RequestContext) => unknown;
