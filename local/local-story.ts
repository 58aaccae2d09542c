import { auditMarksFrom } from '../src/retirement/audit-marks.js';
import { handleAuditEvent, type AuditRuntime } from '../src/audit/process.js';
import type { RotationConfig } from '../src/config/load.js';
import { retireSweep } from '../src/retirement/sweep.js';
import type { RotationDeps } from '../src/rotation/deps.js';
import { localRetirementDeps, startApprovalServer, type ApprovalServer, type LocalRetirementDeps } from './approval-server.js';
import { asEventBridgeEvent, localAuditRuntime, matchesAuditRule } from './audit-runtime.js';
import type { LocalCloud } from './cloud.js';
import type { DemoCustomer, Sample } from './demo-customer.js';
import { DemoApprover } from './demo-approver.js';
import type { PublishedEvent } from './emulator/index.js';
import { approverIdentity } from './identities.js';
import type { Timeline } from './timeline.js';

const DAY_MS = 86_400_000;
/** The alias whose old ciphertext a client still reads after its key was scheduled for deletion. */
const REPORTS_ALIAS = 'alias/demo-reports';
/** Each pass of `settle` may let the functions react to what the last one did; this bounds the chain. */
const MAX_SETTLE_PASSES = 50;

type FollowUp = (delayMs: number, action: () => Promise<void>) => void;

/**
 * Wires the local cloud the way AWS wires the deployed stack: KMS activity reaches the audit
 * function through the EventBridge rule's pattern, retirement requests are approved by a second
 * person over the signed HTTP API, and the events the functions publish are printed. The runner
 * asks it to `settle` after everything it fires.
 */
export class LocalStory {
  readonly rotationDeps: RotationDeps;
  readonly #config: RotationConfig;
  readonly #timeline: Timeline;
  readonly #audit: AuditRuntime;
  readonly #retirement: LocalRetirementDeps;
  readonly #server: ApprovalServer;
  readonly #approver: DemoApprover;
  readonly #queue: PublishedEvent[] = [];
  readonly #unsubscribe: () => void;
  #followUp: FollowUp = () => undefined;
  #report: Sample | undefined;
  #customer: DemoCustomer | undefined;
  #reportScene = false;

  private constructor(cloud: LocalCloud, config: RotationConfig, timeline: Timeline, server: ApprovalServer, retirement: LocalRetirementDeps) {
    this.#config = config;
    this.#timeline = timeline;
    this.rotationDeps = cloud.rotationDeps();
    this.#audit = localAuditRuntime(cloud, config);
    this.#retirement = retirement;
    this.#server = server;
    this.#approver = new DemoApprover(approverIdentity, { api: server.endpoint, region: cloud.region, stsEndpoint: cloud.endpoints.kms });
    this.#unsubscribe = cloud.emulator.subscribe((event) => {
      this.#queue.push(event);
    });
  }

  static async start(cloud: LocalCloud, config: RotationConfig, timeline: Timeline): Promise<LocalStory> {
    const marks = auditMarksFrom(localAuditRuntime(cloud, config).deps.marks);
    const retirement = localRetirementDeps(cloud, config, { marks });
    const server = await startApprovalServer({ deps: retirement.deps, config });
    return new LocalStory(cloud, config, timeline, server, retirement);
  }

  /** Receives work the story wants done later, such as an approval a day after a request. */
  onFollowUp(followUp: FollowUp): void {
    this.#followUp = followUp;
  }

  /** Encrypts a report through the reports alias, which a client reads again after its key is scheduled for deletion. */
  async prepareReport(customer: DemoCustomer): Promise<void> {
    if (!this.#config.aliases.some((managed) => managed.alias === REPORTS_ALIAS)) return;
    this.#report = await customer.ensureSample(REPORTS_ALIAS);
    this.#customer = customer;
  }

  /** Runs the retire function once, as its schedule does. */
  async retire(): Promise<void> {
    await retireSweep(this.#retirement.deps, this.#config);
  }

  /** Delivers what the last action caused until nothing new happens: audit events, published events, asynchronous executions. */
  async settle(): Promise<void> {
    for (let pass = 0; pass < MAX_SETTLE_PASSES; pass += 1) {
      await this.#retirement.settled();
      const events = this.#queue.splice(0);
      if (events.length === 0) return;
      for (const event of events) await this.#deliver(event);
    }
    throw new Error(`The local functions kept reacting to each other for ${MAX_SETTLE_PASSES} passes; stopping`);
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    await this.#server.close();
  }

  async #deliver(event: PublishedEvent): Promise<void> {
    if (matchesAuditRule(event)) {
      await handleAuditEvent(this.#audit, asEventBridgeEvent(event));
      return;
    }
    if (event.eventBusName !== this.rotationDeps.busName) return;
    const detail = event.detail as Record<string, unknown>;
    this.#timeline.busEvent(event.time, event.detailType, detail);

    if (event.detailType === 'Retirement Requested' && typeof detail.requestId === 'string') {
      const requestId = detail.requestId;
      // A person reads the request and approves it the next day, over the signed HTTP API.
      this.#followUp(DAY_MS, async () => {
        const answer = await this.#approver.approve(requestId);
        if (answer.status >= 300) this.#timeline.note(this.rotationDeps.clock.now(), `approval of ${requestId} failed: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
      });
    }
    if (event.detailType === 'Key Deletion Scheduled' && detail.alias === REPORTS_ALIAS && !this.#reportScene && this.#report && this.#customer) {
      this.#reportScene = true;
      const report = this.#report;
      const customer = this.#customer;
      // A forgotten batch job still reads a report encrypted under the key that is now pending deletion.
      this.#followUp(2 * DAY_MS, async () => {
        const check = await customer.checkSample(report);
        this.#timeline.clientUse(this.rotationDeps.clock.now(), REPORTS_ALIAS, check);
      });
    }
  }
}
