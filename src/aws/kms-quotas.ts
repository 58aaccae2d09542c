/**
 * AWS KMS request quotas, in requests per second per account and Region, from the "Request quotas"
 * page of the AWS KMS Developer Guide
 * (https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html), read in 2026.
 * docs/quotas.md lists them with the source. Operations missing here have no quota of their own:
 * the cryptographic operations share one of 10,000 to 100,000 per second, by Region.
 */
export const KMS_REQUEST_QUOTAS: Readonly<Record<string, number>> = {
  CancelKeyDeletion: 5,
  CreateAlias: 5,
  CreateGrant: 50,
  CreateKey: 5,
  DeleteAlias: 15,
  DescribeKey: 2000,
  DisableKey: 5,
  DisableKeyRotation: 5,
  EnableKey: 5,
  EnableKeyRotation: 15,
  GetKeyLastUsage: 5,
  GetKeyPolicy: 1000,
  GetKeyRotationStatus: 1000,
  GetPublicKey: 2000,
  ListAliases: 500,
  ListGrants: 100,
  ListKeyPolicies: 100,
  ListKeyRotations: 100,
  ListKeys: 500,
  ListResourceTags: 2000,
  ListRetirableGrants: 100,
  PutKeyPolicy: 15,
  ReplicateKey: 5,
  RetireGrant: 50,
  RevokeGrant: 50,
  RotateKeyOnDemand: 5,
  ScheduleKeyDeletion: 15,
  TagResource: 10,
  UntagResource: 5,
  UpdateAlias: 5,
  UpdateKeyDescription: 5,
  UpdatePrimaryRegion: 5,
};
