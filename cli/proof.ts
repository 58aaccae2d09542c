import { createIdentityProof } from '../src/identity/sign-proof.js';
import { IdentityProofError, type ActionBinding, type IdentityProof } from '../src/identity/proof.js';
import type { CliContext } from './context.js';
import { CliError, EXIT } from './errors.js';

/**
 * Signs an identity proof for `binding` with the caller's credentials. It is signed for the STS at
 * --endpoint, or the Regional STS endpoint without it, because that is where the function checks it.
 */
export async function signProof(context: CliContext, binding: ActionBinding): Promise<IdentityProof> {
  try {
    return await createIdentityProof({
      credentials: context.credentials,
      region: context.region,
      binding,
      ...(context.endpoint ? { stsEndpoint: `${context.endpoint}/` } : {}),
    });
  } catch (error) {
    if (error instanceof IdentityProofError) throw new CliError(`Cannot sign the identity proof: ${error.message}`, EXIT.usage, { cause: error });
    throw new CliError(
      `Cannot sign the identity proof: no AWS credentials found (${(error as Error).message}). Pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      EXIT.failed,
      { cause: error },
    );
  }
}
