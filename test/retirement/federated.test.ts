import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/yaml.js';
import { verifyPerson } from '../../src/retirement/decide.js';
import type { RetirementDeps } from '../../src/retirement/deps.js';

describe('verifyPerson', () => {
  it('rejects a federated user', async () => {
    const deps = {
      identity: { verify: async () => ({ arn: 'arn:aws:sts::111122223333:federated-user/bob-second-hat' }) },
      table: { recordRequestId: async () => true },
      clock: { now: () => new Date() },
    } as unknown as RetirementDeps;
    const config = parseConfig('aliases:\n  - alias: alias/x\n    regions: [us-east-1]\n    period: 90d\n');

    await expect(verifyPerson(deps, config, {}, { requestId: 'request-0001', verb: 'file-retirement:disable' })).rejects.toMatchObject({
      status: 403,
      code: 'identity-not-allowed',
      message: 'arn:aws:sts::111122223333:federated-user/bob-second-hat is a federated user (sts:GetFederationToken), whose name its caller chooses; file, approve and reject as an IAM user or role.',
    });
  });

  it('accepts an IAM user', async () => {
    const deps = {
      identity: { verify: async () => ({ arn: 'arn:aws:iam::111122223333:user/bob' }) },
      table: { recordRequestId: async () => true },
      clock: { now: () => new Date() },
    } as unknown as RetirementDeps;
    const config = parseConfig('aliases:\n  - alias: alias/x\n    regions: [us-east-1]\n    period: 90d\n');

    await expect(verifyPerson(deps, config, {}, { requestId: 'request-0001', verb: 'file-retirement:disable' })).resolves.toEqual({
      arn: 'arn:aws:iam::111122223333:user/bob',
      principal: 'arn:aws:iam::111122223333:user/bob',
    });
  });
});
