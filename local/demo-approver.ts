import { randomUUID } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../src/identity/sha256.js';
import { createIdentityProof } from '../src/identity/sign-proof.js';
import type { LocalIdentity } from './identities.js';

/**
 * A person using the approval API over HTTP, as the CLI does: every request is signed with SigV4
 * for `execute-api` and carries an identity proof signed with the same credentials.
 */
export class DemoApprover {
  readonly #identity: LocalIdentity;
  readonly #api: string;
  readonly #region: string;
  readonly #stsEndpoint: string;

  constructor(identity: LocalIdentity, options: { api: string; region: string; stsEndpoint: string }) {
    this.#identity = identity;
    this.#api = options.api;
    this.#region = options.region;
    this.#stsEndpoint = options.stsEndpoint;
  }

  get arn(): string {
    return this.#identity.arn;
  }

  /** Approves a retirement request; returns the HTTP status and the API's JSON body. */
  async approve(requestId: string): Promise<{ status: number; body: unknown }> {
    const clientRequestId = randomUUID();
    const identityProof = await createIdentityProof({
      credentials: this.#credentials(),
      region: this.#region,
      binding: { requestId: clientRequestId, verb: `approve-retirement:${requestId}` },
      stsEndpoint: this.#stsEndpoint,
    });
    return this.#post(`/requests/${requestId}/approve`, { requestId: clientRequestId, identityProof });
  }

  async #post(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
    const url = new URL(path, this.#api);
    const text = JSON.stringify(body);
    const signer = new SignatureV4({ service: 'execute-api', region: this.#region, credentials: this.#credentials(), sha256: NodeSha256 });
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers: { host: url.host, 'content-type': 'application/json' },
      body: text,
    });
    const response = await fetch(url, { method: 'POST', headers: signed.headers, body: text });
    return { status: response.status, body: await response.json() };
  }

  #credentials() {
    return { accessKeyId: this.#identity.accessKeyId, secretAccessKey: this.#identity.secretAccessKey };
  }
}
