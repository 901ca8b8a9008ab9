/**
 * ADK's session service on the runtime's sessions (docs/sessions.md): one SQL call per
 * operation. An append is one append_event, which locks the session, numbers the event and
 * commits its state delta to the app's ("app:"), the user's ("user:") and the session's state in
 * one transaction; "temp:" keys are never stored. A read is one get_session, with the merged
 * state. Sessions live in the same tables as the tasks' sessions, so a conversation an ADK
 * program keeps is also the context of tasks submitted into it.
 */
import {
  BaseSessionService, createSession,
  type AppendEventRequest, type CreateSessionRequest, type DeleteSessionRequest, type Event, type GetSessionRequest,
  type ListSessionsRequest, type ListSessionsResponse, type Session,
} from '@google/adk';
import { AgentRuntimeClient } from '../client/client.js';
import type { ConnectionOptions } from '../client/database.js';
import { NotFoundError } from '../client/errors.js';
import type { JsonObject, SessionPageEntry } from '../client/types.js';
import { dedupeById, fromStoredEvent, toStoredEvent } from './events.js';

const TEMP_PREFIX = 'temp:';

function withoutTemp(state: Record<string, unknown> | undefined): JsonObject {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state ?? {})) {
    if (!key.startsWith(TEMP_PREFIX)) out[key] = value;
  }
  return JSON.parse(JSON.stringify(out)) as JsonObject;
}

function isNotFound(error: unknown, code: string): boolean {
  return error instanceof NotFoundError && error.code === code;
}

export class AgentRuntimeSessionService extends BaseSessionService {
  readonly client: AgentRuntimeClient;
  /** The sequence of the newest event each session object has seen, to notice appends by other writers. */
  private readonly sequences = new WeakMap<Session, number>();

  constructor(options: ConnectionOptions) {
    super();
    this.client = new AgentRuntimeClient(options);
  }

  /** Closes the pool when the service made it. */
  end(): Promise<void> {
    return this.client.end();
  }

  override async createSession({ appName, userId, state, sessionId }: CreateSessionRequest): Promise<Session> {
    const created = await this.client.createSession(appName, userId, { state: withoutTemp(state), sessionId });
    const session = createSession({
      id: created.session_id, appName, userId, state: created.state as Record<string, unknown>, events: [],
      lastUpdateTime: new Date(created.updated_at).getTime(),
    });
    this.sequences.set(session, created.last_sequence);
    return session;
  }

  override async getSession({ appName, userId, sessionId, config }: GetSessionRequest): Promise<Session | undefined> {
    let stored;
    try {
      // afterTimestamp filters by the events' own timestamps, so the newest N are taken after it.
      stored = await this.client.getSession(appName, userId, sessionId,
        { numRecentEvents: config?.afterTimestamp ? undefined : config?.numRecentEvents });
    } catch (error) {
      if (isNotFound(error, 'AR050')) return undefined;
      throw error;
    }
    let events = dedupeById(stored.events.map((e) => fromStoredEvent(e, sessionId)));
    if (config?.afterTimestamp) {
      events = events.filter((e) => e.timestamp >= config.afterTimestamp!);
      if (config.numRecentEvents !== undefined) {
        events = config.numRecentEvents === 0 ? [] : events.slice(-config.numRecentEvents);
      }
    }
    const session = createSession({
      id: stored.id, appName, userId, state: stored.state as Record<string, unknown>, events,
      lastUpdateTime: Math.round(stored.last_update_time * 1000),
    });
    this.sequences.set(session, stored.last_sequence);
    return session;
  }

  /**
   * ADK's paging: `limit` with `page` (1-based) or `offset`; `order` by last update ('asc',
   * 'desc'; none: newest created first); sessions carry their merged state and no events.
   */
  override async listSessions({ appName, userId, limit, offset, page, order }: ListSessionsRequest): Promise<ListSessionsResponse> {
    const total = async (rows: SessionPageEntry[]) =>
      rows[0]?.total ?? (await this.client.pageSessions(appName, { userId, maxSessions: 1 }))[0]?.total ?? 0;
    if (limit !== undefined) {
      const skip = page !== undefined ? Math.max(0, (page - 1) * limit) : (offset ?? 0);
      const rows = await this.client.pageSessions(appName, { userId, maxSessions: limit, skip, orderBy: order });
      const totalItems = await total(rows);
      return {
        sessions: rows.map(toSession), page: page ?? (limit === 0 ? 1 : Math.floor(skip / limit) + 1), limit, totalItems,
        totalPages: limit === 0 ? 0 : Math.ceil(totalItems / limit),
      };
    }
    const rows = await this.client.pageSessions(appName, { userId, skip: offset ?? 0, orderBy: order });
    const totalItems = offset ? await total(rows) : rows.length;
    return { sessions: rows.map(toSession), page: 1, limit: totalItems, totalItems, totalPages: totalItems === 0 ? 0 : 1 };
  }

  override async deleteSession({ appName, userId, sessionId }: DeleteSessionRequest): Promise<void> {
    try {
      await this.client.deleteSession(appName, userId, sessionId);
    } catch (error) {
      if (!isNotFound(error, 'AR050')) throw error;
    }
  }

  /**
   * Stores the event (one append_event: its stateDelta is what is committed, never
   * session.state, which holds this invocation's temp: keys too), then updates the session
   * object as ADK's base does. When another writer appended in between, its events are put in
   * their place; the state becomes the stored one (with other sessions' app: and user: changes)
   * plus this invocation's temp: keys.
   */
  override async appendEvent({ session, event }: AppendEventRequest): Promise<Event> {
    if (event.partial) {
      return event;
    }
    const known = this.sequences.get(session);
    const appended = await this.client.appendEvent(session.appName, session.userId, session.id, toStoredEvent(event));
    if (known !== undefined && appended.sequence > known + 1) {
      const missed = await this.client.getSession(session.appName, session.userId, session.id, { afterSequence: known });
      for (const stored of missed.events) {
        if (stored.sequence !== appended.sequence) {
          const other = fromStoredEvent(stored, session.id);
          const i = session.events.findIndex((e) => e.id === other.id);
          if (i >= 0) session.events[i] = other; else session.events.push(other);
        }
      }
    }
    this.sequences.set(session, appended.sequence);
    await super.appendEvent({ session, event });
    const state = session.state;
    for (const key of Object.keys(state)) {
      if (!key.startsWith(TEMP_PREFIX) && !(key in appended.state)) delete state[key];
    }
    Object.assign(state, appended.state);
    session.lastUpdateTime = event.timestamp;
    return event;
  }
}

function toSession(row: SessionPageEntry): Session {
  return createSession({
    id: row.session_id, appName: row.app_name, userId: row.user_id, state: row.state as Record<string, unknown>, events: [],
    lastUpdateTime: new Date(row.updated_at).getTime(),
  });
}
