import { CreateGrantCommand, CreateKeyCommand, DisableKeyCommand, ListGrantsCommand, type KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { approverIdentity, LOCAL_ACCOUNT_ID } from '../../local/identities.js';
import { kmsClient, rejection } from './helpers.js';

describe('KMS grants', () => {
  let emulator: Emulator;
  let kms: KMSClient;

  beforeAll(async () => {
    emulator = await startEmulator();
    kms = kmsClient(emulator.endpoint);
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('creates and lists grants', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    const created = await kms.send(
      new CreateGrantCommand({ KeyId: metadata?.KeyId, GranteePrincipal: approverIdentity.arn, Operations: ['Decrypt'], Name: 'reader' }),
    );
    expect(created.GrantId).toMatch(/^[0-9a-f]{64}$/);
    expect(created.GrantToken).toBeDefined();

    const again = await kms.send(
      new CreateGrantCommand({ KeyId: metadata?.KeyId, GranteePrincipal: approverIdentity.arn, Operations: ['Decrypt'], Name: 'reader' }),
    );
    expect(again.GrantId).toBe(created.GrantId);

    const listed = await kms.send(new ListGrantsCommand({ KeyId: metadata?.Arn }));
    expect(listed.Grants).toHaveLength(1);
    expect(listed.Grants?.[0]).toMatchObject({
      KeyId: metadata?.Arn,
      GrantId: created.GrantId,
      Name: 'reader',
      GranteePrincipal: approverIdentity.arn,
      IssuingAccount: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:root`,
      Operations: ['Decrypt'],
    });
    expect(listed.Truncated).toBe(false);
  });

  it('rejects grants on disabled keys', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new DisableKeyCommand({ KeyId: metadata?.KeyId }));
    const error = await rejection(
      kms.send(new CreateGrantCommand({ KeyId: metadata?.KeyId, GranteePrincipal: approverIdentity.arn, Operations: ['Encrypt'] })),
    );
    expect(error.name).toBe('DisabledException');
    expect(error.message).toBe(`${metadata?.Arn} is disabled.`);
  });

  it('rejects unknown grant operations', async () => {
    const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({}));
    const error = await rejection(
      kms.send(new CreateGrantCommand({ KeyId: metadata?.KeyId, GranteePrincipal: approverIdentity.arn, Operations: ['Fly' as never] })),
    );
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain("Value 'Fly' at 'operations.1.member' failed to satisfy constraint: Member must satisfy enum value set: [Decrypt, Encrypt,");
  });
});
