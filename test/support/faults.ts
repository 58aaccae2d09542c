import type { AwsClients } from '../../src/aws/clients.js';

type Handler = (args: unknown) => Promise<unknown>;

/** The part of an SDK client's middleware stack used here; every SDK v3 client has it. */
interface MiddlewareHost {
  middlewareStack: {
    add(middleware: (next: Handler, context: { commandName?: string }) => Handler, options: { step: 'initialize'; name: string }): void;
  };
}

export type FaultKind = 'error' | 'lost-response';

/**
 * Makes the `failAt`-th AWS call made through `clients` fail, counting calls across every client:
 * `error` fails it before it is sent, `lost-response` sends it and then fails, as when the response
 * is lost on the way back. Returns the number of calls seen so far and the command that failed.
 */
export function injectFault(clients: Array<AwsClients[keyof AwsClients]>, failAt: number, kind: FaultKind): { calls(): number; failed(): string | undefined } {
  let calls = 0;
  let failedCommand: string | undefined;
  for (const client of new Set(clients) as Set<unknown> as Set<MiddlewareHost>) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        calls += 1;
        if (calls !== failAt) return next(args);
        failedCommand = context.commandName;
        const failure = Object.assign(new Error(`Injected ${kind} at call ${failAt} (${context.commandName})`), { name: 'TimeoutError' });
        if (kind === 'error') throw failure;
        await next(args);
        throw failure;
      },
      { step: 'initialize', name: `injectFault${failAt}` },
    );
  }
  return { calls: () => calls, failed: () => failedCommand };
}
