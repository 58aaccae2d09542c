import { AwsError } from '../errors.js';
import { partitionOf, stateOf, type EventBusRecord, type EventsRegionState } from '../state.js';
import type { Operation, RequestContext } from '../types.js';
import { checkLength, checkPattern, optionalArray, optionalString, requireString } from '../validation.js';

export const DEFAULT_BUS = 'default';

export function busArn(context: Pick<RequestContext, 'region' | 'accountId'>, name: string): string {
  return `arn:${partitionOf(context.region)}:events:${context.region}:${context.accountId}:event-bus/${name}`;
}

/** Returns the EventBridge state of the caller's account and Region; its `default` bus always exists. */
export function eventsRegionState(context: RequestContext): EventsRegionState {
  const state = stateOf(context);
  const byRegion = (state.events[context.accountId] ??= {});
  const region = (byRegion[context.region] ??= { buses: {} });
  region.buses[DEFAULT_BUS] ??= {
    name: DEFAULT_BUS,
    arn: busArn(context, DEFAULT_BUS),
    createdAt: 0,
  };
  return region;
}

/**
 * Creates a custom event bus. Name rules from the CreateEventBus API reference: 1 to 256
 * characters of `[/\.\-_A-Za-z0-9]+`, no `/` in a custom bus name, and not `default`.
 * NOTE: partner event buses (EventSourceName) are not supported. The messages for a `/` in the
 * name and for an EventSourceName are the emulator's.
 */
export const createEventBus: Operation = (input, context) => {
  const name = requireString(input, 'Name', 'name');
  checkLength(name, 'name', 1, 256);
  checkPattern(name, 'name', /^[/.\-_A-Za-z0-9]+$/, '[/\\.\\-_A-Za-z0-9]+');
  const description = optionalString(input, 'Description');
  if (description !== undefined) checkLength(description, 'description', 0, 512);
  optionalArray(input, 'Tags');
  if (optionalString(input, 'EventSourceName') !== undefined) {
    throw new AwsError('ValidationException', 'Partner event buses (EventSourceName) are not supported by the local emulator.');
  }
  if (name.includes('/')) {
    throw new AwsError('ValidationException', `Event bus name ${name} is not valid: custom event bus names cannot contain '/'.`);
  }

  const region = eventsRegionState(context);
  if (region.buses[name]) {
    throw new AwsError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
  }
  const bus: EventBusRecord = {
    name,
    arn: busArn(context, name),
    createdAt: context.clock.now().getTime(),
    ...(description !== undefined ? { description } : {}),
  };
  region.buses[name] = bus;
  return { EventBusArn: bus.arn, ...(description !== undefined ? { Description: description } : {}) };
};
