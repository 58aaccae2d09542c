/**
 * The action a person's identity proof is good for. Every field is part of the signed
 * `x-kms-rotator-action` header, so a proof made for one action fails for any other.
 */
export interface ActionBinding {
  /** Id of the one request the proof authorizes, chosen by the client; the function should accept each id once. */
  requestId: string;
  /** Action the person requests, such as `rotate`, `rollback`, `pause`, `request-retirement` or `approve-retirement`. */
  verb: string;
  alias?: string;
  keyId?: string;
}

/**
 * A signed, unsent STS GetCallerIdentity request. It is plain JSON, so it fits in a Lambda
 * payload or an HTTP body; the function sends it to its own STS endpoint to learn who signed it.
 */
export interface IdentityProof {
  method: 'POST';
  /** Endpoint the signer meant the request for. Informational only: the verifier never sends the request there. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Signed header whose value is the canonical JSON of the `ActionBinding`. */
export const ACTION_HEADER = 'x-kms-rotator-action';

/** The only body a proof may have: STS GetCallerIdentity in the AWS Query protocol. */
export const GET_CALLER_IDENTITY_BODY = 'Action=GetCallerIdentity&Version=2011-06-15';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=utf-8';

/** Any reason an identity proof is not accepted, or cannot be made; the message names the failed check. */
export class IdentityProofError extends Error {
  override readonly name = 'IdentityProofError';
}

/** Maximum length of each binding field, in characters. */
export const BINDING_FIELD_MAX_LENGTH = { requestId: 128, verb: 64, alias: 256, keyId: 2048 } as const;

/**
 * Printable ASCII without spaces. SigV4 collapses runs of whitespace in header values before it
 * signs them, so a value with spaces could be edited without breaking the signature.
 */
const BINDING_FIELD = /^[\x21-\x7E]+$/;

/** Order of the keys in the canonical JSON: alphabetical. */
const BINDING_KEYS = ['alias', 'keyId', 'requestId', 'verb'] as const;

/**
 * Serializes a binding as the value of the `x-kms-rotator-action` header: JSON with the keys in
 * alphabetical order, absent fields left out and no whitespace. Throws `IdentityProofError`
 * naming the field when a value is empty, too long or not printable ASCII without spaces.
 */
export function canonicalBinding(binding: ActionBinding): string {
  const canonical: Record<string, string> = {};
  for (const key of BINDING_KEYS) {
    const value: unknown = binding[key];
    if (value === undefined) {
      if (key === 'requestId' || key === 'verb') throw new IdentityProofError(`Invalid action binding: ${key} is missing.`);
      continue;
    }
    if (typeof value !== 'string') throw new IdentityProofError(`Invalid action binding: ${key} must be a string.`);
    if (value.length === 0 || value.length > BINDING_FIELD_MAX_LENGTH[key]) {
      throw new IdentityProofError(`Invalid action binding: ${key} must have 1 to ${BINDING_FIELD_MAX_LENGTH[key]} characters, not ${value.length}.`);
    }
    if (!BINDING_FIELD.test(value)) {
      throw new IdentityProofError(`Invalid action binding: ${key} must be printable ASCII without spaces.`);
    }
    canonical[key] = value;
  }
  return JSON.stringify(canonical);
}
