import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { FaultInjector, type FaultKind, type FaultOptions, type FaultStats } from './injector.js';
import { faultReply } from './responses.js';
import { readBody } from '../read-body.js';

/** An HTTP proxy on 127.0.0.1 in front of dynalite that injects faults into DynamoDB calls. */
export interface FaultProxy {
  /** Base URL to give the DynamoDB client as `endpoint`. */
  endpoint: string;
  setFaults(options: FaultOptions): void;
  faultStats(): FaultStats;
  /** DynamoDB operations seen, in order, with the fault injected into each. */
  calls(): Array<{ operation: string; injectedFault?: FaultKind }>;
  close(): Promise<void>;
}

/**
 * Starts the proxy. Rules match service `dynamodb` and the operation of `X-Amz-Target`
 * (`DynamoDB_20120810.<Operation>`). Latency here always passes in real time, because the proxy
 * has no emulator clock. The `target` must be an http URL on 127.0.0.1.
 */
export async function startFaultProxy(options: { target: string; faults?: FaultOptions }): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.hostname !== '127.0.0.1' || target.protocol !== 'http:') {
    throw new Error(`Invalid proxy target ${options.target}: the fault proxy forwards only to http://127.0.0.1`);
  }
  const faults = new FaultInjector(options.faults);
  const seen: Array<{ operation: string; injectedFault?: FaultKind }> = [];

  const server = createServer((request, response) => {
    readBody(request)
      .then(async (body) => {
        const header = request.headers['x-amz-target'];
        const operation = (Array.isArray(header) ? header[0] : header)?.split('.').pop() ?? '';
        const decision = faults.decide({ service: 'dynamodb', operation, accountId: '', region: '', realTimeMs: Date.now() });
        seen.push({ operation, ...(decision.kind ? { injectedFault: decision.kind } : {}) });
        if (decision.latencyMs > 0) await sleep(decision.latencyMs);
        if (decision.kind === 'connection-reset') {
          request.socket.destroy();
          return;
        }
        if (decision.kind === 'throttle' || decision.kind === 'internal-error') {
          const reply = faultReply('dynamodb', decision.kind, randomUUID());
          response.writeHead(reply.status, reply.headers);
          response.end(reply.body);
          return;
        }
        const upstream = await forward(target, request, body);
        if (decision.kind === 'lost-response') {
          request.socket.destroy();
          return;
        }
        response.writeHead(upstream.status, upstream.headers);
        response.end(upstream.body);
      })
      .catch((error: unknown) => {
        console.error('kms-rotator fault proxy: failed to forward a request:', error);
        if (!response.headersSent) response.writeHead(502);
        response.end();
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setFaults: (next) => faults.configure(next),
    faultStats: () => faults.stats(),
    calls: () => [...seen],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Sends the request on to dynalite unchanged, with the same headers, so the signature still holds. */
function forward(target: URL, request: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      { hostname: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
      (reply) => {
        readBody(reply)
          .then((replyBody) => {
            const headers: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(reply.headers)) if (value !== undefined) headers[name] = value;
            resolve({ status: reply.statusCode ?? 502, headers, body: replyBody });
          })
          .catch(reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}
