import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

import { systemClock, type Clock } from '../../src/clock.js';
import { defaultIdentities, type LocalIdentity } from '../identities.js';
import { CloudTrailLog, type CloudTrailRecord, type EventListener } from './cloudtrail/log.js';
import { createDispatchTable } from './dispatch.js';
import { applyFault } from './faults/emulator-hook.js';
import { FaultInjector, type FaultOptions, type FaultStats } from './faults/injector.js';
import type { PublishedEvent } from './events/put-events.js';
import { serveRequest, type EmulatorCall } from './protocol.js';
import { bindHooks } from './hooks.js';
import { createEmptyState } from './state.js';
import { loadState, serializeState, writeStateFile } from './state-file.js';
import { readBody } from './read-body.js';

export type { EmulatorCall } from './protocol.js';
export type { FaultKind, FaultOptions, FaultRule, FaultStats } from './faults/injector.js';
export type { PublishedEvent } from './events/put-events.js';
export type { CloudTrailRecord, EventListener } from './cloudtrail/log.js';
export type { CloudTrailUserIdentity } from './cloudtrail/identity.js';
export type { CloudTrailResource } from './cloudtrail/elements.js';

export interface EmulatorOptions {
  /** Address to listen on; 127.0.0.1 unless set. */
  host?: string;
  /** Port to listen on; 0 (the default) picks a free port. */
  port?: number;
  /** JSON file to load state from at start and to save state to after each change. */
  stateFile?: string;
  clock?: Clock;
  /**
   * Real time, against which request signatures are checked: X-Amz-Date within 15 minutes and
   * presigned requests within X-Amz-Expires. The system clock unless set, even when `clock` is
   * virtual, because clients sign with the real time.
   */
  signatureClock?: Clock;
  /** Principals whose access keys are accepted; `defaultIdentities` unless set. */
  identities?: LocalIdentity[];
  /**
   * Whether every account has a CloudTrail trail, `local-trail`, logging in every Region. True
   * unless set; false starts with no trail, so no CloudTrail event reaches EventBridge until a
   * test calls CreateTrail and StartLogging.
   */
  trailLogging?: boolean;
  /**
   * Start of GetKeyLastUsage tracking. Keys created earlier report it as TrackingStartDate and
   * record no use before it. Unset, tracking starts when each key is created.
   */
  usageTrackingStartDate?: Date;
  /** Faults to inject: throttles, internal errors, resets, lost responses, latency and request quotas. None unless set. */
  faults?: FaultOptions;
}

export interface Emulator {
  /** Base URL to pass as `endpoint` to the AWS SDK clients. */
  endpoint: string;
  port: number;
  calls(): EmulatorCall[];
  /** Events PutEvents accepted, on all buses. Events from AWS services go to `subscribe` listeners only. */
  events(): PublishedEvent[];
  /** The CloudTrail record of every authenticated request and of KMS's own rotations and deletions, oldest first. In memory only. */
  cloudTrail(): CloudTrailRecord[];
  /**
   * Calls `listener` with every event put on any bus: PutEvents entries, CloudTrail events of
   * logged calls, and KMS events. Returns a function that removes the listener. A listener that
   * throws or rejects is logged and does not fail the request.
   */
  subscribe(listener: EventListener): () => void;
  /** Replaces the fault options from the next request on; `{}` turns faults off. */
  setFaults(options: FaultOptions): void;
  /** What the fault injector did since the last setFaults, with the seed it used. */
  faultStats(): FaultStats;
  close(): Promise<void>;
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Pairs up Node's flat `rawHeaders` list, which keeps every header as sent, repeats included. */
function rawHeaderPairs(request: IncomingMessage): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    pairs.push([request.rawHeaders[index] ?? '', request.rawHeaders[index + 1] ?? '']);
  }
  return pairs;
}

/** Starts a local KMS, EventBridge and CloudTrail endpoint speaking AWS JSON 1.1, and STS GetCallerIdentity in the AWS Query protocol. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const stateFile = options.stateFile;
  const state = stateFile ? loadState(stateFile) : createEmptyState();
  let savedState = serializeState(state);
  const calls: EmulatorCall[] = [];
  const published: PublishedEvent[] = [];
  const clock = options.clock ?? systemClock;
  const faults = new FaultInjector(options.faults);
  const cloudTrail = new CloudTrailLog(clock, options.trailLogging ?? true);
  const publish = (event: PublishedEvent): void => {
    published.push(event);
    cloudTrail.notify(event);
  };
  bindHooks(state, {
    onKmsServiceEvent: (event) => cloudTrail.recordKmsServiceEvent(event),
    usageTrackingStart: options.usageTrackingStartDate?.getTime(),
  });
  const dependencies = {
    identities: options.identities ?? defaultIdentities,
    clock,
    wallClock: options.signatureClock ?? systemClock,
    state,
    table: createDispatchTable(publish, cloudTrail),
    calls,
    cloudTrail,
  };

  // Saving compares the serialized state with the last save, so requests that change nothing
  // (reads, rejected requests) do not rewrite the file, while lazy deletions and rotations do.
  const saveIfChanged = (): void => {
    if (!stateFile) return;
    const serialized = serializeState(state);
    if (serialized === savedState) return;
    writeStateFile(stateFile, serialized);
    savedState = serialized;
  };

  const server = createServer((request, response) => {
    readBody(request)
      .then(async (body) => {
        const incoming = {
          target: headerValue(request, 'x-amz-target'),
          method: request.method ?? 'GET',
          url: request.url ?? '/',
          headers: rawHeaderPairs(request),
          body,
          sourceIp: (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        };
        const fault = await applyFault(incoming, { faults, identities: dependencies.identities, clock, wallClock: dependencies.wallClock, calls });
        if (fault.action === 'reset') {
          request.socket.destroy();
          return;
        }
        if (fault.action === 'reply') {
          response.writeHead(fault.reply.status, fault.reply.headers);
          response.end(fault.reply.body);
          return;
        }
        const reply = serveRequest(incoming, dependencies);
        saveIfChanged();
        if (fault.action === 'serve-and-lose-response') {
          const served = calls.at(-1);
          if (served) served.injectedFault = 'lost-response';
          request.socket.destroy();
          return;
        }
        response.writeHead(reply.status, reply.headers);
        response.end(reply.body);
      })
      .catch((error: unknown) => {
        console.error('kms-rotator emulator: failed to serve a request:', error);
        response.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'InternalFailure', message: 'The local emulator failed to serve the request.' }));
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://${host}:${port}`,
    port,
    calls: () => [...calls],
    events: () => [...published],
    cloudTrail: () => cloudTrail.records(),
    subscribe: (listener) => cloudTrail.subscribe(listener),
    setFaults: (next) => faults.configure(next),
    faultStats: () => faults.stats(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
