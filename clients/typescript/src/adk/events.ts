/**
 * ADK events as the runtime stores them. The runtime reads two fields of an event: its
 * invocation id (`invocation_id`) and its state changes (`actions.state_delta`), which it
 * commits to the app's, the user's and the session's state in the append's transaction (docs/
 * sessions.md). ADK-JS names them invocationId and actions.stateDelta; everything else of the
 * event (content, function calls, ids, timestamps in milliseconds) is stored as ADK wrote it.
 */
import { createEventActions, type Event } from '@google/adk';
import type { JsonObject } from '../client/types.js';

/**
 * When an event happened, in epoch milliseconds: ADK's events carry their own (they have an
 * id); others get get_session's, the time of their append in epoch seconds.
 */
export function eventTimeMs(stored: Record<string, unknown>): number {
  const timestamp = stored.timestamp;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return 0;
  return typeof stored.id === 'string' ? timestamp : Math.round(timestamp * 1000);
}

/** The event as append_event takes it. */
export function toStoredEvent(event: Event): JsonObject {
  const { invocationId, actions, ...rest } = event as Event & Record<string, unknown>;
  const stored: Record<string, unknown> = { ...rest };
  if (invocationId !== undefined) {
    stored.invocation_id = invocationId;
  }
  if (actions) {
    const { stateDelta, ...otherActions } = actions;
    stored.actions = { ...otherActions, state_delta: stateDelta ?? {} };
  }
  // JSON drops undefined members, as ADK's own stores do.
  return JSON.parse(JSON.stringify(stored)) as JsonObject;
}

/**
 * An event as get_session returns it, back in ADK's shape. Events other clients appended (a
 * task's input, an agent's messages) have neither an ADK id nor a timestamp in milliseconds:
 * they get their sequence as id, and get_session's timestamp (epoch seconds) in milliseconds.
 */
export function fromStoredEvent(stored: JsonObject & { sequence: number }, sessionId: string): Event {
  const { sequence, invocation_id, actions, timestamp, id, ...rest } = stored as Record<string, unknown>;
  const storedActions = (actions ?? {}) as Record<string, unknown>;
  const { state_delta, ...otherActions } = storedActions;
  const event = {
    ...rest,
    id: typeof id === 'string' && id !== '' ? id : `${sessionId}:${String(sequence)}`,
    invocationId: typeof invocation_id === 'string' ? invocation_id : '',
    timestamp: eventTimeMs({ id, timestamp }),
    actions: createEventActions({ ...(otherActions as object), stateDelta: (state_delta ?? {}) as Record<string, unknown> }),
  } as unknown as Event;
  return event;
}

/** Events oldest first, an id appended twice (ADK replaces an event it appends again) kept once at its first place, with its newest content. */
export function dedupeById(events: Event[]): Event[] {
  const at = new Map<string, number>();
  const out: Event[] = [];
  for (const event of events) {
    const i = at.get(event.id);
    if (i === undefined) {
      at.set(event.id, out.length);
      out.push(event);
    } else {
      out[i] = event;
    }
  }
  return out;
}
