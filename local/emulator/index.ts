import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

import { systemClock, type Clock } from '../../src/clock.js';
import { defaultIdentities, type LocalIdentity } from '../identities.js';
import { createDispatchTable } from './dispatch.js';
import type { PublishedEvent } from './events/put-events.js';
import { serveRequest, type EmulatorCall } from './protocol.js';
import { createEmptyState } from './state.js';
import { loadState, serializeState, writeStateFile } from './state-file.js';

export type { EmulatorCall } from './protocol.js';
export type { PublishedEvent } from './events/put-events.js';

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
}

export interface Emulator {
  /** Base URL to pass as `endpoint` to the AWS SDK clients. */
  endpoint: string;
  port: number;
  calls(): EmulatorCall[];
  events(): PublishedEvent[];
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
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

/** Starts a local KMS and EventBridge endpoint speaking AWS JSON 1.1, and STS GetCallerIdentity in the AWS Query protocol. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const stateFile = options.stateFile;
  const state = stateFile ? loadState(stateFile) : createEmptyState();
  let savedState = serializeState(state);
  const calls: EmulatorCall[] = [];
  const published: PublishedEvent[] = [];
  const dependencies = {
    identities: options.identities ?? defaultIdentities,
    clock: options.clock ?? systemClock,
    wallClock: options.signatureClock ?? systemClock,
    state,
    table: createDispatchTable(published),
    calls,
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
      .then((body) => {
        const reply = serveRequest(
          {
            target: headerValue(request, 'x-amz-target'),
            method: request.method ?? 'GET',
            url: request.url ?? '/',
            headers: rawHeaderPairs(request),
            body,
          },
          dependencies,
        );
        saveIfChanged();
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
