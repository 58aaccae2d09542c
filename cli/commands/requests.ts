/** requests: file, list, approve and reject retirement requests through the approval HTTP API. */
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { RetirementRequest } from '../../src/retirement/request.js';
import { addCommonOptions, resolveContext, validEndpoint, type CliContext, type CommonOptions } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { signProof } from '../proof.js';
import { callApi } from '../http-api.js';
import { day, formatTable, printJson, printLine } from '../output.js';

/** Same lists as src/retirement/request.ts, repeated so that --help works without loading it. */
const ACTIONS = ['disable', 'delete'];
const STATUSES = ['open', 'executing', 'done', 'rejected', 'refused', 'expired', 'withdrawn'];
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

interface ApiOptions extends CommonOptions {
  api?: string;
}

export function requestsCommand(): Command {
  const requests = new Command('requests').description('file, list, approve and reject retirement requests through the HTTP API');

  requests.addCommand(
    addApiOptions(new Command('file'))
      .description('ask for a superseded key to be disabled or scheduled for deletion')
      .argument('<key-arn>', 'ARN of the key, as `kms-rotator status ALIAS --json` prints it')
      .addOption(new Option('--action <action>', 'what to do with the key').choices(ACTIONS).makeOptionMandatory())
      .requiredOption('--reason <text>', 'why, recorded with the request')
      .option('--pending-window <days>', 'for delete: days KMS waits before deleting, 7 to 30 (default: the alias\'s retire.pendingWindow)', parsePendingWindow)
      .action(async (keyArn: string, options: ApiOptions & { action: string; reason: string; pendingWindow?: number }) => {
        if (!KEY_ARN.test(keyArn)) throw new CliError(`Invalid key ${JSON.stringify(keyArn)}: expected a key ARN such as arn:aws:kms:us-east-1:111122223333:key/1234abcd-…`, EXIT.usage);
        if (options.pendingWindow !== undefined && options.action !== 'delete') throw new CliError('--pending-window applies to --action delete only', EXIT.usage);
        if (options.reason.trim() === '') throw new CliError('--reason must say why', EXIT.usage);
        const { context, api } = await resolveApi(options);
        const requestId = randomUUID();
        const identityProof = await signProof(context, { requestId, verb: `file-retirement:${options.action}`, keyId: keyArn });
        const body = {
          keyArn,
          action: options.action,
          reason: options.reason,
          ...(options.pendingWindow !== undefined ? { pendingWindowInDays: options.pendingWindow } : {}),
          requestId,
          identityProof,
        };
        const { body: answer } = await callApi(context, api, 'POST', '/requests', { body });
        const filed = (answer as { request?: RetirementRequest }).request;
        if (context.json) printJson(answer);
        else printLine(`Filed request ${filed?.id ?? '(no id returned)'}: ${options.action} ${keyArn}; status ${filed?.status ?? 'unknown'}, expires ${filed?.expiresAt ?? 'unknown'}.`);
      }),
  );

  requests.addCommand(
    addApiOptions(new Command('list'))
      .description('list retirement requests, newest first as the API returns them')
      .addOption(new Option('--status <status>', 'only requests with this status').choices(STATUSES))
      .action(async (options: ApiOptions & { status?: string }) => {
        const { context, api } = await resolveApi(options);
        const { body: answer } = await callApi(context, api, 'GET', '/requests', { query: options.status ? { status: options.status } : {} });
        const list = (answer as { requests?: RetirementRequest[] }).requests ?? [];
        if (context.json) {
          printJson(answer);
          return;
        }
        if (list.length === 0) {
          printLine(options.status ? `No ${options.status} requests.` : 'No requests.');
          return;
        }
        printLine(
          formatTable(
            ['id', 'status', 'action', 'alias', 'key', 'requested by', 'created', 'expires', 'approvals'],
            list.map((entry) => [
              entry.id, entry.status, entry.action, entry.alias, entry.keyId, entry.requestedBy, day(entry.createdAt), day(entry.expiresAt),
              `${entry.approvals?.length ?? 0}/${entry.requiredApprovals ?? '?'}`,
            ]),
          ),
        );
      }),
  );

  requests.addCommand(
    addApiOptions(new Command('approve'))
      .description('approve a request; the approval that completes the count starts the action')
      .argument('<id>', 'request id, as `requests list` prints it')
      .action(async (id: string, options: ApiOptions) => {
        checkRequestId(id);
        const { context, api } = await resolveApi(options);
        const requestId = randomUUID();
        const identityProof = await signProof(context, { requestId, verb: `approve-retirement:${id}` });
        const { body: answer } = await callApi(context, api, 'POST', `/requests/${encodeURIComponent(id)}/approve`, { body: { requestId, identityProof } });
        if (context.json) printJson(answer);
        else printLine(`Approved request ${id}; status ${(answer as { request?: RetirementRequest })?.request?.status ?? 'accepted'}.`);
      }),
  );

  requests.addCommand(
    addApiOptions(new Command('reject'))
      .description('reject a request; it ends and nothing is done to the key')
      .argument('<id>', 'request id')
      .requiredOption('--reason <text>', 'why, recorded with the decision')
      .action(async (id: string, options: ApiOptions & { reason: string }) => {
        checkRequestId(id);
        if (options.reason.trim() === '') throw new CliError('--reason must say why', EXIT.usage);
        const { context, api } = await resolveApi(options);
        const requestId = randomUUID();
        const identityProof = await signProof(context, { requestId, verb: `reject-retirement:${id}` });
        const { body: answer } = await callApi(context, api, 'POST', `/requests/${encodeURIComponent(id)}/reject`, { body: { reason: options.reason, requestId, identityProof } });
        if (context.json) printJson(answer);
        else printLine(`Rejected request ${id}.`);
      }),
  );

  return requests;
}

function addApiOptions(command: Command): Command {
  return addCommonOptions(command).option('--api <url>', 'base URL of the HTTP API, as serverless deploy prints it (default: KMS_ROTATOR_API)');
}

async function resolveApi(options: ApiOptions): Promise<{ context: CliContext; api: string }> {
  const given = options.api ?? process.env.KMS_ROTATOR_API;
  if (!given) throw new CliError("error: required option '--api <url>' not specified (or set KMS_ROTATOR_API)", EXIT.usage);
  const api = validEndpoint('--api', given);
  return { context: await resolveContext(options), api };
}

function checkRequestId(id: string): void {
  if (!REQUEST_ID.test(id)) throw new CliError(`Invalid request id ${JSON.stringify(id)}: expected letters, digits and - _ . : only`, EXIT.usage);
}

function parsePendingWindow(value: string): number {
  const days = Number(value);
  if (!/^\d+$/.test(value) || days < 7 || days > 30) throw new InvalidArgumentError('must be a whole number of days from 7 to 30');
  return days;
}
