import { SignatureV4, type SignatureV4Init } from '@smithy/signature-v4';

import { ACTION_HEADER, canonicalBinding, FORM_CONTENT_TYPE, GET_CALLER_IDENTITY_BODY, IdentityProofError, type ActionBinding, type IdentityProof } from './proof.js';
import { NodeSha256 } from './sha256.js';

export interface CreateIdentityProofOptions {
  /** The person's AWS credentials, or a provider of them such as `fromNodeProviderChain()`. */
  credentials: SignatureV4Init['credentials'];
  /** Region of the STS endpoint and of the credential scope. */
  region: string;
  binding: ActionBinding;
  /** STS endpoint the function verifies proofs with; the Regional endpoint of `region` unless set. */
  stsEndpoint?: string;
  /** Time to sign with; now unless set. */
  signingDate?: Date;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * Returns the Regional STS endpoint, `https://sts.<region>.amazonaws.com/`, or
 * `https://sts.<region>.amazonaws.com.cn/` for the China Regions.
 */
export function defaultStsEndpoint(region: string): string {
  if (!REGION.test(region)) {
    throw new IdentityProofError(`Invalid region ${JSON.stringify(region)}: expected a Region name such as us-east-1.`);
  }
  if (region.startsWith('cn-')) return `https://sts.${region}.amazonaws.com.cn/`;
  // The isolated partitions use other DNS suffixes; no source at hand gave them, so they must be set.
  if (/^[a-z]{2}-iso/.test(region)) {
    throw new IdentityProofError(`No default STS endpoint for the isolated Region ${region}: set stsEndpoint.`);
  }
  return `https://sts.${region}.amazonaws.com/`;
}

/**
 * Signs, but does not send, an STS GetCallerIdentity request that proves who the signer is for
 * one action: the extra signed header `x-kms-rotator-action` contains the canonical JSON of
 * `binding`. The signature uses SigV4 in the Authorization header with service `sts`.
 */
export async function createIdentityProof(options: CreateIdentityProofOptions): Promise<IdentityProof> {
  const actionHeader = canonicalBinding(options.binding);
  const endpoint = new URL(options.stsEndpoint ?? defaultStsEndpoint(options.region));
  if (endpoint.search !== '' || endpoint.hash !== '') {
    throw new IdentityProofError(`Invalid stsEndpoint ${endpoint.href}: it must not have a query string or fragment.`);
  }

  // applyChecksum: false leaves out x-amz-content-sha256, which only S3 needs.
  const signer = new SignatureV4({
    service: 'sts',
    region: options.region,
    credentials: options.credentials,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port !== '' ? { port: Number(endpoint.port) } : {}),
      path: endpoint.pathname,
      query: {},
      headers: { host: endpoint.host, 'content-type': FORM_CONTENT_TYPE, [ACTION_HEADER]: actionHeader },
      body: GET_CALLER_IDENTITY_BODY,
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  return { method: 'POST', url: endpoint.href, headers, body: GET_CALLER_IDENTITY_BODY };
}
