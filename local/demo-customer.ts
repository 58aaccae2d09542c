import { randomBytes } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  NotFoundException,
  type CreateKeyCommandInput,
  type KeyMetadata,
  type KMSClient,
} from '@aws-sdk/client-kms';

/** A ciphertext made before any rotation, kept to show that it still decrypts afterwards. */
export interface Sample {
  alias: string;
  keyId: string;
  /** Base64 ciphertext; the plaintext is random bytes, never printed. */
  ciphertext: string;
  /** The random plaintext, base64, kept only in the local state file to compare after decryption. */
  plaintext: string;
}

export interface SampleCheck {
  decrypted: boolean;
  /** Key that Decrypt reported for the old ciphertext. */
  decryptedWith?: string;
  /** State of that key now. */
  oldKeyState?: string;
  /** Key that a new Encrypt through the alias used. */
  newestKeyId?: string;
  error?: string;
}

const CONTEXT = { purpose: 'kms-rotator-demo' };

/** An application of the operator's that owns demo keys and encrypts through their aliases. */
export class DemoCustomer {
  readonly #kms: KMSClient;

  constructor(kms: KMSClient) {
    this.#kms = kms;
  }

  /** Creates a symmetric key and the alias the first time; returns the new key, or undefined if the alias exists. */
  async ensureAlias(alias: string, spec: Pick<CreateKeyCommandInput, 'KeySpec' | 'KeyUsage'> = {}): Promise<KeyMetadata | undefined> {
    try {
      await this.#kms.send(new DescribeKeyCommand({ KeyId: alias }));
      return undefined;
    } catch (error) {
      if (!(error instanceof NotFoundException)) throw error;
    }
    const created = await this.#kms.send(
      new CreateKeyCommand({
        ...spec,
        Description: `Demo key behind ${alias}`,
        Tags: [
          { TagKey: 'team', TagValue: 'demo' },
          { TagKey: 'data-class', TagValue: 'confidential' },
        ],
      }),
    );
    await this.#kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: created.KeyMetadata?.KeyId }));
    return created.KeyMetadata;
  }

  /** Encrypts random bytes through `alias`, unless a sample from an earlier run is given. */
  async ensureSample(alias: string | undefined, saved?: Sample): Promise<Sample> {
    if (saved) return saved;
    if (!alias) throw new Error('rotation.config.yml lists no symmetric alias in the local Region, so there is nothing to encrypt through');
    const plaintext = new Uint8Array(randomBytes(32));
    const output = await this.#kms.send(new EncryptCommand({ KeyId: alias, Plaintext: plaintext, EncryptionContext: CONTEXT }));
    return {
      alias,
      keyId: keyIdOf(output.KeyId),
      ciphertext: Buffer.from(output.CiphertextBlob as Uint8Array).toString('base64'),
      plaintext: Buffer.from(plaintext).toString('base64'),
    };
  }

  /** Decrypts the old sample and encrypts a new one through the alias. */
  async checkSample(sample: Sample): Promise<SampleCheck> {
    try {
      const decrypted = await this.#kms.send(
        new DecryptCommand({ CiphertextBlob: Buffer.from(sample.ciphertext, 'base64'), EncryptionContext: CONTEXT }),
      );
      const matches = Buffer.from(decrypted.Plaintext as Uint8Array).equals(Buffer.from(sample.plaintext, 'base64'));
      const oldKey = await this.#kms.send(new DescribeKeyCommand({ KeyId: sample.keyId }));
      const fresh = await this.#kms.send(new EncryptCommand({ KeyId: sample.alias, Plaintext: new Uint8Array(randomBytes(16)), EncryptionContext: CONTEXT }));
      return {
        decrypted: matches,
        decryptedWith: keyIdOf(decrypted.KeyId),
        oldKeyState: oldKey.KeyMetadata?.KeyState,
        newestKeyId: keyIdOf(fresh.KeyId),
        error: matches ? undefined : 'Decrypt returned different bytes',
      };
    } catch (error) {
      return { decrypted: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }
}

/** Encrypt and Decrypt return a key ARN; the timeline shows key ids. */
function keyIdOf(arnOrId: string | undefined): string {
  return (arnOrId ?? '').replace(/^arn:[^:]+:kms:[^:]*:[0-9]*:key\//, '');
}
