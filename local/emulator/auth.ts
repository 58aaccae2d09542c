import { AwsError } from './errors.js';
import type { LocalIdentity } from '../identities.js';

/** The caller named by a request's SigV4 credential. */
export interface Caller {
  identity: LocalIdentity;
  region: string;
  /** Service of the credential scope, such as `kms` or `events`. */
  service: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/**
 * Finds the caller from an `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`
 * header. Error names and the unknown-key message are the ones AWS returns.
 */
export function authenticate(header: string | undefined, identities: readonly LocalIdentity[], expectedService: string): Caller {
  if (header === undefined || header.trim() === '') {
    throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  if (!header.startsWith('AWS4-HMAC-SHA256 ')) {
    throw new AwsError('IncompleteSignatureException', `Unsupported Authorization scheme in: ${header.split(' ')[0] ?? ''}. Use AWS4-HMAC-SHA256.`);
  }
  const match = CREDENTIAL.exec(header);
  if (!match) {
    throw new AwsError(
      'IncompleteSignatureException',
      "Authorization header requires 'Credential' parameter in the form AKID/DATE/REGION/SERVICE/aws4_request.",
    );
  }
  const [, accessKeyId, , region, service] = match;
  if (!accessKeyId || !region || !service) {
    throw new AwsError('IncompleteSignatureException', 'The Authorization header has an incomplete Credential.');
  }
  if (service !== expectedService) {
    throw new AwsError('InvalidSignatureException', `Credential should be scoped to correct service: '${expectedService}'.`);
  }
  const identity = identities.find((candidate) => candidate.accessKeyId === accessKeyId);
  if (!identity) {
    throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  // TODO: verify the SigV4 signature against identity.secretAccessKey (@smithy/signature-v4 can
  // recompute it); until then any signature made with a known access key id is accepted.
  return { identity, region, service };
}
