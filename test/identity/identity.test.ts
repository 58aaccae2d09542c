import { describe, expect, it } from 'vitest';

import { matchesPattern, principalOf } from '../../src/identity/identity.js';

const PINNED = ['arn:aws:iam::111122223333:role/AWSReservedSSO_*', 'arn:aws:iam::*:role/breakglass'];

describe('principalOf', () => {
  it.each([
    ['arn:aws:sts::111122223333:assumed-role/deployer/alice-session', 'arn:aws:iam::111122223333:role/deployer'],
    ['arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/alice@example.com', 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/alice@example.com'],
    ['arn:aws:sts::444455556666:assumed-role/breakglass/bob', 'arn:aws:sts::444455556666:assumed-role/breakglass/bob'],
    ['arn:aws:sts::444455556666:assumed-role/breakglass-2/bob', 'arn:aws:iam::444455556666:role/breakglass-2'],
    ['arn:aws-cn:sts::111122223333:assumed-role/deployer/s', 'arn:aws-cn:iam::111122223333:role/deployer'],
    ['arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::111122223333:user/alice'],
    ['arn:aws:iam::111122223333:user/ops/alice', 'arn:aws:iam::111122223333:user/ops/alice'],
    ['arn:aws:iam::111122223333:root', 'arn:aws:iam::111122223333:root'],
    ['arn:aws:sts::111122223333:federated-user/carol', 'arn:aws:sts::111122223333:federated-user/carol'],
  ])('%s becomes %s', (arn, principal) => {
    expect(principalOf(arn, PINNED)).toBe(principal);
  });

  it('drops every session name without pinned roles', () => {
    expect(principalOf('arn:aws:sts::111122223333:assumed-role/breakglass/bob', [])).toBe('arn:aws:iam::111122223333:role/breakglass');
  });
});

describe('matchesPattern', () => {
  it.each([
    ['arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::111122223333:user/alice', true],
    ['arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::111122223333:user/*', true],
    ['arn:aws:iam::111122223333:user/ops/alice', 'arn:aws:iam::111122223333:user/*', true],
    ['arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::*:user/alice', true],
    ['arn:aws:iam::111122223333:user/alice', '*', true],
    ['arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::111122223333:user/bob', false],
    ['arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::111122223333:user/Alice', false],
    ['arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::111122223333:user/ali', false],
    ['arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::1111.2223333:user/alice', false],
    ['arn:aws:iam::111122223333:user/a+b', 'arn:aws:iam::111122223333:user/a+b', true],
    ['arn:aws:iam::111122223333:user/aab', 'arn:aws:iam::111122223333:user/a+b', false],
    ['arn:aws:iam::111122223333:role/x', 'arn:aws:iam::111122223333:user/*', false],
  ])('%s against %s is %s', (arn, pattern, expected) => {
    expect(matchesPattern(arn, pattern)).toBe(expected);
  });
});
