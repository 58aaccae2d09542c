export { FaultInjector, type FaultDecision, type FaultKind, type FaultOptions, type FaultRule, type FaultService, type FaultStats } from './injector.js';
export { KMS_REQUEST_QUOTAS, SYMMETRIC_CRYPTO_OPERATIONS, symmetricCryptoQuota, type QuotaOptions } from './quotas.js';
export { randomSeed, seededRandom } from './random.js';
export { startFaultProxy, type FaultProxy } from './dynamodb-proxy.js';
