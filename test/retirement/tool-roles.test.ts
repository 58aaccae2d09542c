import { describe, expect, it } from 'vitest';
import { toolRolePatterns } from '../../src/retirement/deps.js';
import { foreignGrants, isOwnToolPrincipal, type KeyFacts } from '../../src/retirement/key-facts.js';

const deps = { toolRolePatterns: toolRolePatterns('local') };
const ACCOUNT = '111122223333';

describe('isOwnToolPrincipal', () => {
  it.each([
    ['the rotate role session', 'arn:aws:sts::111122223333:assumed-role/kms-rotator-local-us-east-1-rotate/session', true],
    ['the approval role', 'arn:aws:iam::111122223333:role/kms-rotator-local-eu-west-1-approval', true],
    ['a same-named role of another account', 'arn:aws:sts::444455556666:assumed-role/kms-rotator-local-us-east-1-rotate/session', false],
    ['a role whose path looks alike', 'arn:aws:iam::111122223333:role/kms-rotator-local-team/billing-rotate', false],
    ['a role of another stage', 'arn:aws:iam::111122223333:role/kms-rotator-prod-us-east-1-rotate', false],
    ['a user', 'arn:aws:iam::111122223333:user/alice', false],
  ])('returns the right answer for %s', (_case, arn, expected) => {
    expect(isOwnToolPrincipal(deps, arn, ACCOUNT)).toBe(expected);
  });
});

describe('foreignGrants', () => {
  it('counts grants to look-alike roles as foreign', () => {
    const facts = {
      keyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      grants: [
        { GrantId: 'tool', GranteePrincipal: 'arn:aws:iam::111122223333:role/kms-rotator-local-us-east-1-rotate' },
        { GrantId: 'other-account', GranteePrincipal: 'arn:aws:iam::444455556666:role/kms-rotator-local-us-east-1-rotate' },
        { GrantId: 'path', GranteePrincipal: 'arn:aws:iam::111122223333:role/kms-rotator-local-team/billing-rotate' },
      ],
    } as unknown as KeyFacts;

    expect(foreignGrants(deps, facts).map((grant) => grant.GrantId)).toEqual(['other-account', 'path']);
  });
});
