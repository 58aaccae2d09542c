/** The steps of a rotation, named as the logs, events and outcomes report them. */
/** `schedule` and `rotate` are the native strategy's: setting KMS's rotation schedule, and RotateKeyOnDemand. */
export type RotationStepName =
  | 'plan'
  | 'lease'
  | 'adopt'
  | 'create'
  | 'test'
  | 'publish'
  | 'promote'
  | 'record'
  | 'announce'
  | 'rollback'
  | 'schedule'
  | 'rotate';

/** A rotation step failed; `step` says where, `cause` holds the AWS error. */
export class RotationStepError extends Error {
  override readonly name = 'RotationStepError';
  readonly step: RotationStepName;

  constructor(step: RotationStepName, message: string, options?: ErrorOptions) {
    super(message, options);
    this.step = step;
  }
}

/** The key cannot be rotated by this tool until a person acts; retrying will not help. */
export class RotationBlockedError extends Error {
  override readonly name = 'RotationBlockedError';
}

/** Formats an AWS SDK error as "Name: message". */
export function describeAwsError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
