import type { FaultService } from './injector.js';

/** An HTTP reply of an injected throttle or internal error. */
export interface FaultReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Throttling errors as each service words them: KMS per its Developer Guide page "Throttling AWS
 * KMS requests"; EventBridge, CloudTrail and STS with `Rate exceeded`; DynamoDB with the
 * ProvisionedThroughputExceededException of a table over its throughput.
 */
const THROTTLE: Record<FaultService, { code: string; message: string }> = {
  kms: { code: 'ThrottlingException', message: 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.' },
  events: { code: 'ThrottlingException', message: 'Rate exceeded' },
  cloudtrail: { code: 'ThrottlingException', message: 'Rate exceeded' },
  sts: { code: 'Throttling', message: 'Rate exceeded' },
  dynamodb: {
    code: 'ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
};

const INTERNAL: Record<FaultService, string> = {
  kms: 'KMSInternalException',
  events: 'InternalException',
  cloudtrail: 'InternalFailure',
  sts: 'InternalFailure',
  dynamodb: 'InternalServerError',
};

/** Returns the error code an injected throttle or internal error carries, as `calls()` records it. */
export function faultErrorCode(service: FaultService, kind: 'throttle' | 'internal-error'): string {
  return kind === 'throttle' ? THROTTLE[service].code : INTERNAL[service];
}

/** Builds the reply of an injected throttle (400) or internal error (500) in the service's protocol. */
export function faultReply(service: FaultService, kind: 'throttle' | 'internal-error', requestId: string): FaultReply {
  const code = faultErrorCode(service, kind);
  const message = kind === 'throttle' ? THROTTLE[service].message : 'The request failed because of an internal error injected by the local emulator.';
  const status = kind === 'throttle' ? 400 : 500;
  if (service === 'sts') {
    const type = kind === 'throttle' ? 'Sender' : 'Receiver';
    return {
      status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  }
  const contentType = service === 'dynamodb' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
  const type = service === 'dynamodb' ? `com.amazonaws.dynamodb.v20120810#${code}` : code;
  return {
    status,
    headers: { 'content-type': contentType, 'x-amzn-requestid': requestId, 'x-amzn-errortype': code },
    body: JSON.stringify({ __type: type, message }),
  };
}
