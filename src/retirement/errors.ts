/** HTTP status of each kind of rejection the approval API returns. */
export type RejectionStatus = 400 | 403 | 404 | 409;

/**
 * A request to the approval function that is rejected before any change. The approval API sends
 * it as `{ error: { code, message } }` with `status`; `field` names the invalid input field.
 */
export class RetirementRejection extends Error {
  override readonly name = 'RetirementRejection';
  readonly status: RejectionStatus;
  readonly code: string;
  readonly field?: string;

  constructor(status: RejectionStatus, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    if (field !== undefined) this.field = field;
  }
}
