/**
 * An error returned on the wire as AWS JSON 1.1 does: HTTP status, a `__type` naming the
 * exception and a `message`. Names and messages copy the AWS API reference.
 */
export class AwsError extends Error {
  readonly type: string;
  readonly statusCode: number;

  constructor(type: string, message: string, statusCode = 400) {
    super(message);
    this.name = type;
    this.type = type;
    this.statusCode = statusCode;
  }
}
