import { createECDH, createHash, createHmac, createPublicKey, verify as nodeVerify, constants } from 'node:crypto';

import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateMacCommand,
  GetPublicKeyCommand,
  KMSClient,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
  type EncryptionAlgorithmSpec,
  type KeySpec,
  type KeyUsageType,
  type MacAlgorithmSpec,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmulator } from '../../local/emulator/index.js';
import { parseSymmetric } from '../../local/emulator/kms/crypto/ciphertext.js';
import { CURVES, basePoint, decodeEcdsaSignature, encodeEcdsaSignature } from '../../local/emulator/kms/crypto/prehashed.js';
import { generateMaterial } from '../../local/emulator/kms/material.js';
import type { KeySpec as EmulatorKeySpec } from '../../local/emulator/kms/model.js';
import { LOCAL_REGION, operatorIdentity } from '../../local/identities.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

let emulator: Emulator;
let kms: KMSClient;

beforeAll(async () => {
  emulator = await startEmulator();
  kms = new KMSClient({
    endpoint: emulator.endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: operatorIdentity.accessKeyId, secretAccessKey: operatorIdentity.secretAccessKey },
  });
});

afterAll(async () => {
  kms?.destroy();
  await emulator?.close();
});

const bytes = (text: string) => new TextEncoder().encode(text);

async function createKey(keySpec: KeySpec, keyUsage: KeyUsageType): Promise<{ keyId: string; arn: string }> {
  const created = await kms.send(new CreateKeyCommand({ KeySpec: keySpec, KeyUsage: keyUsage }));
  return { keyId: created.KeyMetadata!.KeyId!, arn: created.KeyMetadata!.Arn! };
}

/**
 * What the SDK reports as the message of an error whose body has an empty message. The emulator
 * sends InvalidCiphertextException, KMSInvalidSignatureException and KMSInvalidMacException
 * with no message text, because the KMS API reference documents none for them.
 */
const NO_MESSAGE = 'UnknownError';

/** Awaits a request that must fail and checks the AWS error name and message. */
async function expectAwsError(request: Promise<unknown>, name: string, message?: string): Promise<void> {
  const error = await request.then(
    () => undefined,
    (caught: unknown) => caught as Error,
  );
  expect(error, `expected ${name}`).toBeInstanceOf(Error);
  expect(error!.name).toBe(name);
  if (message !== undefined) expect(error!.message).toBe(message);
}

function hashOfAlgorithm(algorithm: string): 'sha256' | 'sha384' | 'sha512' {
  if (algorithm.endsWith('_384')) return 'sha384';
  if (algorithm.endsWith('_512')) return 'sha512';
  return 'sha256';
}

describe('prehashed signature helpers', () => {
  it('curve constants match node:crypto', () => {
    for (const curve of Object.values(CURVES)) {
      const g = basePoint(curve);
      // (n-1)G = -G = (Gx, p - Gy) checks the order n and the prime p. DIGEST verification checks a.
      const ecdh = createECDH(curve.name);
      ecdh.setPrivateKey(Buffer.from((curve.n - 1n).toString(16).padStart(curve.bytes * 2, '0'), 'hex'));
      const minusG = ecdh.getPublicKey();
      const x = BigInt(`0x${minusG.subarray(1, 1 + curve.bytes).toString('hex')}`);
      const y = BigInt(`0x${minusG.subarray(1 + curve.bytes).toString('hex')}`);
      expect(x).toBe(g.x);
      expect(y).toBe(curve.p - g.y);
    }
  });

  it('ECDSA DER encoding round trips', () => {
    const signature = encodeEcdsaSignature(0x80n, 0x7fn);
    expect(signature.toString('hex')).toBe('3007020200800201' + '7f');
    expect(decodeEcdsaSignature(signature)).toEqual({ r: 0x80n, s: 0x7fn });
    expect(decodeEcdsaSignature(Buffer.from('3006020100', 'hex'))).toBeNull();
    expect(decodeEcdsaSignature(Buffer.from('3006020180020101', 'hex'))).toBeNull();
  });
});

describe('generateMaterial', () => {
  it('key lengths per key spec', () => {
    const lengths: Array<[EmulatorKeySpec, number]> = [
      ['SYMMETRIC_DEFAULT', 32],
      ['HMAC_224', 28],
      ['HMAC_256', 32],
      ['HMAC_384', 48],
      ['HMAC_512', 64],
    ];
    for (const [spec, length] of lengths) {
      const material = generateMaterial(spec, 1000);
      expect(Buffer.from(material.secret, 'base64').length, spec).toBe(length);
      expect(material.publicKey, spec).toBeUndefined();
      expect(material.createdAt).toBe(1000);
    }
  });

  it('asymmetric material is PEM', () => {
    const ecc = generateMaterial('ECC_SECG_P256K1', 0);
    expect(ecc.secret).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(createPublicKey(ecc.publicKey!).asymmetricKeyDetails?.namedCurve).toBe('secp256k1');
    const rsa = generateMaterial('RSA_2048', 0);
    expect(createPublicKey(rsa.publicKey!).asymmetricKeyDetails?.modulusLength).toBe(2048);
  });
});

describe('symmetric encryption', () => {
  let key: { keyId: string; arn: string };
  let otherKey: { keyId: string; arn: string };

  beforeAll(async () => {
    key = await createKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
    otherKey = await createKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
  });

  it('round trips without KeyId on Decrypt', async () => {
    const context = { purpose: 'test', tenant: 'a' };
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: key.keyId, Plaintext: bytes('secret'), EncryptionContext: context }),
    );
    expect(encrypted.KeyId).toBe(key.arn);
    expect(encrypted.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');

    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { tenant: 'a', purpose: 'test' } }),
    );
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('secret');
    expect(decrypted.KeyId).toBe(key.arn);
    expect(decrypted.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
  });

  it('ciphertext carries key ARN and material id', async () => {
    const encrypted = await kms.send(new EncryptCommand({ KeyId: key.arn, Plaintext: bytes('x') }));
    const parsed = parseSymmetric(Buffer.from(encrypted.CiphertextBlob!));
    expect(parsed?.keyArn).toBe(key.arn);
    expect(parsed?.materialId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('encrypts through an alias', async () => {
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/crypto-test', TargetKeyId: key.keyId }));
    const encrypted = await kms.send(new EncryptCommand({ KeyId: 'alias/crypto-test', Plaintext: bytes('via alias') }));
    expect(encrypted.KeyId).toBe(key.arn);
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: 'alias/crypto-test' }),
    );
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('via alias');
  });

  it('old ciphertext decrypts after RotateKeyOnDemand', async () => {
    const rotating = await createKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
    const before = await kms.send(new EncryptCommand({ KeyId: rotating.keyId, Plaintext: bytes('before') }));
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: rotating.keyId }));
    const after = await kms.send(new EncryptCommand({ KeyId: rotating.keyId, Plaintext: bytes('after') }));

    const materialBefore = parseSymmetric(Buffer.from(before.CiphertextBlob!))!.materialId;
    const materialAfter = parseSymmetric(Buffer.from(after.CiphertextBlob!))!.materialId;
    expect(materialAfter).not.toBe(materialBefore);

    const oldPlaintext = await kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }));
    expect(Buffer.from(oldPlaintext.Plaintext!).toString()).toBe('before');
    const newPlaintext = await kms.send(new DecryptCommand({ CiphertextBlob: after.CiphertextBlob }));
    expect(Buffer.from(newPlaintext.Plaintext!).toString()).toBe('after');
  });

  it('wrong KeyId is IncorrectKeyException', async () => {
    const encrypted = await kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: bytes('x') }));
    await expectAwsError(
      kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: otherKey.keyId })),
      'IncorrectKeyException',
      'The key ID in the request does not identify a CMK that can perform this operation.',
    );
  });

  it('wrong encryption context is InvalidCiphertextException', async () => {
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: key.keyId, Plaintext: bytes('x'), EncryptionContext: { a: '1' } }),
    );
    const cases: Array<Record<string, string> | undefined> = [{ a: '2' }, { A: '1' }, { a: '1', b: '2' }, undefined];
    for (const encryptionContext of cases) {
      await expectAwsError(
        kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: encryptionContext })),
        'InvalidCiphertextException',
      NO_MESSAGE,
      );
    }
  });

  it('tampered ciphertext is InvalidCiphertextException', async () => {
    const encrypted = await kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: bytes('x') }));
    const tampered = Buffer.from(encrypted.CiphertextBlob!);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0x01;
    await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: tampered })), 'InvalidCiphertextException', NO_MESSAGE);
    await expectAwsError(
      kms.send(new DecryptCommand({ CiphertextBlob: bytes('not a ciphertext') })),
      'InvalidCiphertextException',
    NO_MESSAGE,
    );
  });

  it('plaintext length limits', async () => {
    const largest = await kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: new Uint8Array(4096) }));
    expect(largest.CiphertextBlob!.length).toBeGreaterThan(4096);
    await expectAwsError(
      kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: new Uint8Array(4097) })),
      'ValidationException',
      "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
  });

  it('RSAES algorithm on a symmetric key', async () => {
    await expectAwsError(
      kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: bytes('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
      'InvalidKeyUsageException',
      'Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT.',
    );
  });

  it('ReEncrypt moves ciphertext between keys and contexts', async () => {
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: key.keyId, Plaintext: bytes('moving'), EncryptionContext: { from: 'a' } }),
    );
    const reEncrypted = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: encrypted.CiphertextBlob,
        SourceEncryptionContext: { from: 'a' },
        DestinationKeyId: otherKey.keyId,
        DestinationEncryptionContext: { to: 'b' },
      }),
    );
    expect(reEncrypted.SourceKeyId).toBe(key.arn);
    expect(reEncrypted.KeyId).toBe(otherKey.arn);
    expect(reEncrypted.SourceEncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
    expect(reEncrypted.DestinationEncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');

    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: reEncrypted.CiphertextBlob, EncryptionContext: { to: 'b' } }),
    );
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('moving');
    expect(decrypted.KeyId).toBe(otherKey.arn);

    await expectAwsError(
      kms.send(
        new ReEncryptCommand({
          CiphertextBlob: encrypted.CiphertextBlob,
          SourceKeyId: otherKey.keyId,
          SourceEncryptionContext: { from: 'a' },
          DestinationKeyId: otherKey.keyId,
        }),
      ),
      'IncorrectKeyException',
      'The key ID in the request does not identify a CMK that can perform this operation.',
    );
  });
});

describe('GenerateDataKey', () => {
  let key: { keyId: string; arn: string };

  beforeAll(async () => {
    key = await createKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
  });

  it('data key lengths', async () => {
    const cases: Array<[{ KeySpec?: 'AES_128' | 'AES_256'; NumberOfBytes?: number }, number]> = [
      [{ KeySpec: 'AES_256' }, 32],
      [{ KeySpec: 'AES_128' }, 16],
      [{ NumberOfBytes: 1 }, 1],
      [{ NumberOfBytes: 1024 }, 1024],
    ];
    for (const [request, length] of cases) {
      const dataKey = await kms.send(
        new GenerateDataKeyCommand({ KeyId: key.keyId, EncryptionContext: { use: 'data' }, ...request }),
      );
      expect(dataKey.Plaintext!.length).toBe(length);
      expect(dataKey.KeyId).toBe(key.arn);
      const decrypted = await kms.send(
        new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: { use: 'data' } }),
      );
      expect(Buffer.from(decrypted.Plaintext!).equals(Buffer.from(dataKey.Plaintext!))).toBe(true);
    }
  });

  it('requires exactly one of KeySpec and NumberOfBytes', async () => {
    for (const request of [{}, { KeySpec: 'AES_256' as const, NumberOfBytes: 32 }]) {
      await expectAwsError(
        kms.send(new GenerateDataKeyCommand({ KeyId: key.keyId, ...request })),
        'ValidationException',
        'Please specify either number of bytes or key spec.',
      );
    }
  });

  it('NumberOfBytes range', async () => {
    await expectAwsError(
      kms.send(new GenerateDataKeyCommand({ KeyId: key.keyId, NumberOfBytes: 1025 })),
      'ValidationException',
      "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    );
  });

  it('rejects asymmetric keys', async () => {
    const rsa = await createKey('RSA_2048', 'ENCRYPT_DECRYPT');
    await expectAwsError(
      kms.send(new GenerateDataKeyCommand({ KeyId: rsa.keyId, KeySpec: 'AES_256' })),
      'InvalidKeyUsageException',
      'You cannot generate a data key with an asymmetric CMK',
    );
  });
});

describe('RSA encryption', () => {
  const limits: Array<[KeySpec, EncryptionAlgorithmSpec, number]> = [
    ['RSA_2048', 'RSAES_OAEP_SHA_1', 214],
    ['RSA_2048', 'RSAES_OAEP_SHA_256', 190],
    ['RSA_3072', 'RSAES_OAEP_SHA_1', 342],
    ['RSA_3072', 'RSAES_OAEP_SHA_256', 318],
    ['RSA_4096', 'RSAES_OAEP_SHA_1', 470],
    ['RSA_4096', 'RSAES_OAEP_SHA_256', 446],
  ];
  const keys = new Map<string, { keyId: string; arn: string }>();

  beforeAll(async () => {
    for (const spec of ['RSA_2048', 'RSA_3072', 'RSA_4096'] as const) {
      keys.set(spec, await createKey(spec, 'ENCRYPT_DECRYPT'));
    }
  }, 120_000);

  it('round trips at the plaintext size limit', async () => {
    for (const [spec, algorithm, maxBytes] of limits) {
      const key = keys.get(spec)!;
      const plaintext = new Uint8Array(maxBytes).fill(7);
      const encrypted = await kms.send(
        new EncryptCommand({ KeyId: key.keyId, Plaintext: plaintext, EncryptionAlgorithm: algorithm }),
      );
      expect(encrypted.EncryptionAlgorithm).toBe(algorithm);
      const decrypted = await kms.send(
        new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: key.keyId, EncryptionAlgorithm: algorithm }),
      );
      expect(Buffer.from(decrypted.Plaintext!).equals(Buffer.from(plaintext)), `${spec} ${algorithm}`).toBe(true);
      expect(decrypted.KeyId).toBe(key.arn);

      await expectAwsError(
        kms.send(
          new EncryptCommand({ KeyId: key.keyId, Plaintext: new Uint8Array(maxBytes + 1), EncryptionAlgorithm: algorithm }),
        ),
        'ValidationException',
        `Algorithm ${algorithm} and key spec ${spec} cannot encrypt data larger than ${maxBytes} bytes.`,
      );
    }
  });

  it('public key encrypts outside KMS', async () => {
    const key = keys.get('RSA_2048')!;
    const response = await kms.send(new GetPublicKeyCommand({ KeyId: key.keyId }));
    expect(response.KeyUsage).toBe('ENCRYPT_DECRYPT');
    expect(response.EncryptionAlgorithms).toEqual(['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']);
    expect(response.SigningAlgorithms).toBeUndefined();

    const { publicEncrypt } = await import('node:crypto');
    const publicKey = createPublicKey({ key: Buffer.from(response.PublicKey!), format: 'der', type: 'spki' });
    const ciphertext = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      bytes('offline'),
    );
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: ciphertext, KeyId: key.keyId, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
    );
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('offline');
  });

  it('Decrypt needs KeyId and EncryptionAlgorithm', async () => {
    const key = keys.get('RSA_2048')!;
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: key.keyId, Plaintext: bytes('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
    );
    await expectAwsError(
      kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
      'ValidationException',
      'KeyId is required when EncryptionAlgorithm is RSAES_OAEP_SHA_256, because asymmetric ciphertext does not identify its key.',
    );
    await expectAwsError(
      kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: key.keyId })),
      'InvalidCiphertextException',
    NO_MESSAGE,
    );
  });

  it('wrong key or algorithm is InvalidCiphertextException', async () => {
    const key = keys.get('RSA_2048')!;
    const other = await createKey('RSA_2048', 'ENCRYPT_DECRYPT');
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: key.keyId, Plaintext: bytes('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
    );
    await expectAwsError(
      kms.send(
        new DecryptCommand({
          CiphertextBlob: encrypted.CiphertextBlob,
          KeyId: other.keyId,
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      ),
      'InvalidCiphertextException',
    NO_MESSAGE,
    );
    await expectAwsError(
      kms.send(
        new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: key.keyId, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }),
      ),
      'InvalidCiphertextException',
    NO_MESSAGE,
    );
  });

  it('Encrypt without algorithm on an RSA key', async () => {
    const key = keys.get('RSA_2048')!;
    await expectAwsError(
      kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: bytes('x') })),
      'InvalidKeyUsageException',
      'Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.',
    );
  });

  it('rejects an encryption context', async () => {
    const key = keys.get('RSA_2048')!;
    await expectAwsError(
      kms.send(
        new EncryptCommand({
          KeyId: key.keyId,
          Plaintext: bytes('x'),
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_1',
          EncryptionContext: { a: 'b' },
        }),
      ),
      'ValidationException',
      'EncryptionContext is not supported when encrypting/decrypting with asymmetric CMKs.',
    );
  });

  it('ReEncrypt from RSA to symmetric', async () => {
    const key = keys.get('RSA_3072')!;
    const symmetric = await createKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: key.keyId, Plaintext: bytes('rsa to aes'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }),
    );
    const reEncrypted = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: encrypted.CiphertextBlob,
        SourceKeyId: key.keyId,
        SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_1',
        DestinationKeyId: symmetric.keyId,
      }),
    );
    expect(reEncrypted.SourceKeyId).toBe(key.arn);
    expect(reEncrypted.SourceEncryptionAlgorithm).toBe('RSAES_OAEP_SHA_1');
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: reEncrypted.CiphertextBlob }));
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('rsa to aes');
  });
});

describe('Sign and Verify', () => {
  // In the order AWS KMS lists them in GetPublicKey and DescribeKey.
  const rsaAlgorithms: SigningAlgorithmSpec[] = [
    'RSASSA_PKCS1_V1_5_SHA_256',
    'RSASSA_PKCS1_V1_5_SHA_384',
    'RSASSA_PKCS1_V1_5_SHA_512',
    'RSASSA_PSS_SHA_256',
    'RSASSA_PSS_SHA_384',
    'RSASSA_PSS_SHA_512',
  ];
  const cases: Array<[KeySpec, SigningAlgorithmSpec[]]> = [
    ['RSA_2048', rsaAlgorithms],
    ['RSA_3072', rsaAlgorithms],
    ['RSA_4096', rsaAlgorithms],
    ['ECC_NIST_P256', ['ECDSA_SHA_256']],
    ['ECC_NIST_P384', ['ECDSA_SHA_384']],
    ['ECC_NIST_P521', ['ECDSA_SHA_512']],
    ['ECC_SECG_P256K1', ['ECDSA_SHA_256']],
  ];
  const keys = new Map<string, { keyId: string; arn: string }>();

  beforeAll(async () => {
    for (const [spec] of cases) keys.set(spec, await createKey(spec, 'SIGN_VERIFY'));
  }, 120_000);

  it('round trips for every key spec, algorithm and message type', async () => {
    const message = bytes('message to sign');
    for (const [spec, algorithms] of cases) {
      const key = keys.get(spec)!;
      const publicKeyResponse = await kms.send(new GetPublicKeyCommand({ KeyId: key.keyId }));
      expect(publicKeyResponse.KeySpec).toBe(spec);
      expect(publicKeyResponse.KeyUsage).toBe('SIGN_VERIFY');
      expect(publicKeyResponse.SigningAlgorithms).toEqual(algorithms);
      expect(publicKeyResponse.EncryptionAlgorithms).toBeUndefined();
      const publicKey = createPublicKey({ key: Buffer.from(publicKeyResponse.PublicKey!), format: 'der', type: 'spki' });

      for (const algorithm of algorithms) {
        const hash = hashOfAlgorithm(algorithm);
        const digest = createHash(hash).update(message).digest();
        const nodeKey = algorithm.startsWith('RSASSA_PSS_')
          ? { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
          : publicKey;

        for (const [messageType, payload] of [
          ['RAW', message],
          ['DIGEST', digest],
        ] as const) {
          const label = `${spec} ${algorithm} ${messageType}`;
          const signed = await kms.send(
            new SignCommand({ KeyId: key.keyId, Message: payload, MessageType: messageType, SigningAlgorithm: algorithm }),
          );
          expect(signed.KeyId, label).toBe(key.arn);
          expect(signed.SigningAlgorithm, label).toBe(algorithm);
          // The public key from GetPublicKey verifies the signature over the original message.
          expect(nodeVerify(hash, message, nodeKey, Buffer.from(signed.Signature!)), label).toBe(true);

          const verified = await kms.send(
            new VerifyCommand({
              KeyId: key.keyId,
              Message: payload,
              MessageType: messageType,
              Signature: signed.Signature,
              SigningAlgorithm: algorithm,
            }),
          );
          expect(verified.SignatureValid, label).toBe(true);
        }
      }
    }
  }, 120_000);

  it('ECDSA signatures are DER', async () => {
    const key = keys.get('ECC_NIST_P256')!;
    const signed = await kms.send(
      new SignCommand({ KeyId: key.keyId, Message: bytes('der'), SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    expect(Buffer.from(signed.Signature!)[0]).toBe(0x30);
    expect(decodeEcdsaSignature(Buffer.from(signed.Signature!))).not.toBeNull();
  });

  it('tampered signature is KMSInvalidSignatureException', async () => {
    for (const [spec, algorithm] of [
      ['ECC_NIST_P384', 'ECDSA_SHA_384'],
      ['RSA_2048', 'RSASSA_PSS_SHA_256'],
      ['RSA_2048', 'RSASSA_PKCS1_V1_5_SHA_512'],
    ] as const) {
      const key = keys.get(spec)!;
      const signed = await kms.send(new SignCommand({ KeyId: key.keyId, Message: bytes('m'), SigningAlgorithm: algorithm }));
      const tampered = Buffer.from(signed.Signature!);
      tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0x01;
      await expectAwsError(
        kms.send(new VerifyCommand({ KeyId: key.keyId, Message: bytes('m'), Signature: tampered, SigningAlgorithm: algorithm })),
        'KMSInvalidSignatureException',
      NO_MESSAGE,
      );
      await expectAwsError(
        kms.send(
          new VerifyCommand({ KeyId: key.keyId, Message: bytes('other'), Signature: signed.Signature, SigningAlgorithm: algorithm }),
        ),
        'KMSInvalidSignatureException',
      NO_MESSAGE,
      );
    }
  });

  it('DIGEST length must match the algorithm', async () => {
    const key = keys.get('ECC_NIST_P256')!;
    await expectAwsError(
      kms.send(
        new SignCommand({ KeyId: key.keyId, Message: new Uint8Array(31), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }),
      ),
      'ValidationException',
      'Digest is invalid length for algorithm ECDSA_SHA_256.',
    );
    const rsa = keys.get('RSA_2048')!;
    await expectAwsError(
      kms.send(
        new SignCommand({
          KeyId: rsa.keyId,
          Message: new Uint8Array(32),
          MessageType: 'DIGEST',
          SigningAlgorithm: 'RSASSA_PSS_SHA_384',
        }),
      ),
      'ValidationException',
      'Digest is invalid length for algorithm RSASSA_PSS_SHA_384.',
    );
  });

  it('algorithm must fit the key spec', async () => {
    const key = keys.get('ECC_NIST_P384')!;
    await expectAwsError(
      kms.send(new SignCommand({ KeyId: key.keyId, Message: bytes('m'), SigningAlgorithm: 'ECDSA_SHA_256' })),
      'InvalidKeyUsageException',
      'Algorithm ECDSA_SHA_256 is incompatible with key spec ECC_NIST_P384.',
    );
  });

  it('RAW message limit', async () => {
    const key = keys.get('ECC_NIST_P256')!;
    await expectAwsError(
      kms.send(new SignCommand({ KeyId: key.keyId, Message: new Uint8Array(4097), SigningAlgorithm: 'ECDSA_SHA_256' })),
      'ValidationException',
      "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
  });
});

describe('GenerateMac and VerifyMac', () => {
  const cases: Array<[KeySpec, MacAlgorithmSpec, number]> = [
    ['HMAC_224', 'HMAC_SHA_224', 28],
    ['HMAC_256', 'HMAC_SHA_256', 32],
    ['HMAC_384', 'HMAC_SHA_384', 48],
    ['HMAC_512', 'HMAC_SHA_512', 64],
  ];

  it('round trips for every HMAC key spec', async () => {
    for (const [spec, algorithm, macLength] of cases) {
      const key = await createKey(spec, 'GENERATE_VERIFY_MAC');
      const generated = await kms.send(
        new GenerateMacCommand({ KeyId: key.keyId, Message: bytes('mac me'), MacAlgorithm: algorithm }),
      );
      expect(generated.Mac!.length, spec).toBe(macLength);
      expect(generated.KeyId).toBe(key.arn);
      expect(generated.MacAlgorithm).toBe(algorithm);

      const verified = await kms.send(
        new VerifyMacCommand({ KeyId: key.keyId, Message: bytes('mac me'), MacAlgorithm: algorithm, Mac: generated.Mac }),
      );
      expect(verified.MacValid, spec).toBe(true);
    }
  });

  it('tampered MAC is KMSInvalidMacException', async () => {
    const key = await createKey('HMAC_256', 'GENERATE_VERIFY_MAC');
    const generated = await kms.send(
      new GenerateMacCommand({ KeyId: key.keyId, Message: bytes('m'), MacAlgorithm: 'HMAC_SHA_256' }),
    );
    const tampered = Buffer.from(generated.Mac!);
    tampered[0] = (tampered[0] ?? 0) ^ 0x01;
    await expectAwsError(
      kms.send(new VerifyMacCommand({ KeyId: key.keyId, Message: bytes('m'), MacAlgorithm: 'HMAC_SHA_256', Mac: tampered })),
      'KMSInvalidMacException',
    NO_MESSAGE,
    );
    // A MAC computed with a key outside KMS does not verify either.
    const foreignMac = createHmac('sha256', Buffer.alloc(32)).update('m').digest();
    await expectAwsError(
      kms.send(new VerifyMacCommand({ KeyId: key.keyId, Message: bytes('m'), MacAlgorithm: 'HMAC_SHA_256', Mac: foreignMac })),
      'KMSInvalidMacException',
    NO_MESSAGE,
    );
  });

  it('MacAlgorithm must fit the key spec', async () => {
    const key = await createKey('HMAC_256', 'GENERATE_VERIFY_MAC');
    await expectAwsError(
      kms.send(new GenerateMacCommand({ KeyId: key.keyId, Message: bytes('m'), MacAlgorithm: 'HMAC_SHA_512' })),
      'InvalidKeyUsageException',
      'Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.',
    );
  });
});

describe('key usage and key state', () => {
  it('KeyUsage must fit the operation', async () => {
    const signing = await createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    const symmetric = await createKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
    const hmac = await createKey('HMAC_256', 'GENERATE_VERIFY_MAC');

    await expectAwsError(
      kms.send(new EncryptCommand({ KeyId: signing.keyId, Plaintext: bytes('x') })),
      'InvalidKeyUsageException',
      `${signing.arn} key usage is SIGN_VERIFY which is not valid for Encrypt.`,
    );
    await expectAwsError(
      kms.send(new SignCommand({ KeyId: symmetric.keyId, Message: bytes('x'), SigningAlgorithm: 'ECDSA_SHA_256' })),
      'InvalidKeyUsageException',
      `${symmetric.arn} key usage is ENCRYPT_DECRYPT which is not valid for Sign.`,
    );
    await expectAwsError(
      kms.send(new GenerateMacCommand({ KeyId: symmetric.keyId, Message: bytes('x'), MacAlgorithm: 'HMAC_SHA_256' })),
      'InvalidKeyUsageException',
      `${symmetric.arn} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.`,
    );
    await expectAwsError(
      kms.send(new GenerateDataKeyCommand({ KeyId: hmac.keyId, KeySpec: 'AES_256' })),
      'InvalidKeyUsageException',
      `${hmac.arn} key usage is GENERATE_VERIFY_MAC which is not valid for GenerateDataKey.`,
    );
  });

  it('GetPublicKey rejects symmetric and HMAC keys', async () => {
    for (const [spec, usage] of [
      ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'],
      ['HMAC_512', 'GENERATE_VERIFY_MAC'],
    ] as const) {
      const key = await createKey(spec, usage);
      await expectAwsError(
        kms.send(new GetPublicKeyCommand({ KeyId: key.keyId })),
        'UnsupportedOperationException',
        `${key.arn} key spec ${spec} has no public key.`,
      );
    }
  });

  it('disabled key is DisabledException', async () => {
    const symmetric = await createKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
    const encrypted = await kms.send(new EncryptCommand({ KeyId: symmetric.keyId, Plaintext: bytes('x') }));
    const signing = await createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    const hmac = await createKey('HMAC_256', 'GENERATE_VERIFY_MAC');
    for (const key of [symmetric, signing, hmac]) await kms.send(new DisableKeyCommand({ KeyId: key.keyId }));

    const requests: Array<[Promise<unknown>, string]> = [
      [kms.send(new EncryptCommand({ KeyId: symmetric.keyId, Plaintext: bytes('x') })), symmetric.arn],
      [kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })), symmetric.arn],
      [kms.send(new GenerateDataKeyCommand({ KeyId: symmetric.keyId, KeySpec: 'AES_256' })), symmetric.arn],
      [kms.send(new SignCommand({ KeyId: signing.keyId, Message: bytes('x'), SigningAlgorithm: 'ECDSA_SHA_256' })), signing.arn],
      [kms.send(new GetPublicKeyCommand({ KeyId: signing.keyId })), signing.arn],
      [kms.send(new GenerateMacCommand({ KeyId: hmac.keyId, Message: bytes('x'), MacAlgorithm: 'HMAC_SHA_256' })), hmac.arn],
    ];
    for (const [request, arn] of requests) {
      await expectAwsError(request, 'DisabledException', `${arn} is disabled.`);
    }
  });

  it('pending deletion is KMSInvalidStateException', async () => {
    const key = await createKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
    const encrypted = await kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: bytes('x') }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.keyId, PendingWindowInDays: 7 }));

    await expectAwsError(
      kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: bytes('x') })),
      'KMSInvalidStateException',
      `${key.arn} is pending deletion.`,
    );
    await expectAwsError(
      kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })),
      'KMSInvalidStateException',
      `${key.arn} is pending deletion.`,
    );
  });
});
