import type { LocalIdentity } from './identities.js';
import { approverIdentity, operatorIdentity } from './identities.js';

/** Something a person does during the local run, on a given day after the start. */
export interface DemoScene {
  day: number;
  by: LocalIdentity;
  /** The invoke event without requestId and identityProof, which the runner adds and signs. */
  event: Record<string, unknown>;
  /** The verb the identity proof is bound to. */
  verb: string;
}

/** Keys the runner creates for the demo aliases; any other alias gets a symmetric key. */
export const DEMO_KEY_SPECS: Record<string, { KeySpec: 'ECC_NIST_P256'; KeyUsage: 'SIGN_VERIFY' }> = {
  'alias/demo-signing': { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
};

/**
 * An emergency rotation of the payments key, its rollback when a caller breaks, and the resume by
 * a second person. They only run when their alias is configured.
 */
export const DEMO_SCENES: DemoScene[] = [
  {
    day: 120,
    by: operatorIdentity,
    verb: 'rotate',
    event: { alias: 'alias/demo-payments', reason: 'key policy exposed in incident INC-1234' },
  },
  {
    day: 121,
    by: operatorIdentity,
    verb: 'rollback',
    event: { alias: 'alias/demo-payments', reason: 'billing cannot decrypt with the new key', rollback: true },
  },
  {
    day: 128,
    by: approverIdentity,
    verb: 'resume',
    event: { alias: 'alias/demo-payments', reason: 'billing fixed its key id pinning', resume: true },
  },
];
