/**
 * ADK's memory service on the runtime's memory (docs/memory.md): passages of a user's sessions,
 * embedded and searched by meaning and by words (search_memory's hybrid search). Embeddings are
 * made here, by the `embedder` option (default: LocalEmbedder, the .NET host's local embedder,
 * so memories added by either are found by both), at memory_dimensions() values.
 *
 * addSessionToMemory does what the host's memorize agent does (add_session_to_memory), in this
 * process: the text parts of the session's events become passages of at most 1000 characters
 * (whole sentences where they fit) with metadata {"source": "session", "session_id",
 * "sequence", "author", "timestamp"}, and the session key memorized_through_sequence records
 * the last event memorized, in the same transaction as the memories: calling it again adds
 * only newer events, and the two memorizers never add an event twice. A session object that
 * is not in the runtime (another session service's) has its events added as they are, without
 * that bookkeeping.
 */
import type { BaseMemoryService, SearchMemoryRequest, SearchMemoryResponse, Session } from '@google/adk';
import { AgentRuntimeClient } from '../client/client.js';
import { run, type ConnectionOptions } from '../client/database.js';
import { LocalEmbedder, type Embedder } from '../client/embedding.js';
import { NotFoundError, SessionConflictError } from '../client/errors.js';
import { eventTimeMs } from './events.js';
import type { JsonObject } from '../client/types.js';

type MemoryEntry = SearchMemoryResponse['memories'][number];

/** The session key holding the sequence of the last event memorized (the memorize agent's). */
export const MEMORIZED_THROUGH_KEY = 'memorized_through_sequence';
/** The author of the bookkeeping event (the memorize agent's name, which add_session_to_memory leaves out). */
export const MEMORIZE_AUTHOR = 'memorize';
export const MAX_PASSAGE = 1000;

export type MemoryServiceOptions = ConnectionOptions & {
  embedder?: Embedder;
  /** Memories a search returns (default 10). */
  searchLimit?: number;
};

interface Passage {
  text: string;
  sequence: number | null;
  author: string | undefined;
  timestamp: string | undefined;
}

/** Whole sentences packed into passages of at most MAX_PASSAGE characters (a longer sentence is cut). */
export function passages(text: string): string[] {
  const sentences = text.split(/(?<=[.!?…])\s+|\n+/u).map((s) => s.trim()).filter((s) => s.length > 0);
  const out: string[] = [];
  let current = '';
  for (const sentence of sentences) {
    for (let start = 0; start < sentence.length; start += MAX_PASSAGE) {
      const piece = sentence.slice(start, start + MAX_PASSAGE);
      if (current.length > 0 && current.length + 1 + piece.length > MAX_PASSAGE) {
        out.push(current);
        current = '';
      }
      current = current.length > 0 ? `${current} ${piece}` : piece;
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The text parts of an event's content (ADK's {"text"} and A2A's {"kind": "text", "text"}), thoughts left out. */
function eventText(content: unknown): string {
  const parts = (content as { parts?: unknown })?.parts;
  if (!Array.isArray(parts)) return '';
  return parts
    .map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' && !(p as { thought?: unknown }).thought
      ? (p as { text: string }).text : ''))
    .filter((t) => t.trim().length > 0)
    .join('\n');
}

function isoTime(ms: number): string | undefined {
  return ms > 0 ? new Date(ms).toISOString() : undefined;
}

export class AgentRuntimeMemoryService implements BaseMemoryService {
  readonly client: AgentRuntimeClient;
  readonly embedder: Embedder;
  private readonly searchLimit: number;

  constructor(options: MemoryServiceOptions) {
    this.client = new AgentRuntimeClient(options);
    this.embedder = options.embedder ?? new LocalEmbedder();
    this.searchLimit = options.searchLimit ?? 10;
  }

  end(): Promise<void> {
    return this.client.end();
  }

  async addSessionToMemory(session: Session): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.memorize(session);
        return;
      } catch (error) {
        // another writer appended between the read and the bookkeeping append: read again
        if (!(error instanceof SessionConflictError) || attempt >= 5) throw error;
      }
    }
  }

  private async memorize(session: Session): Promise<void> {
    let stored;
    try {
      stored = await this.client.getSession(session.appName, session.userId, session.id, { numRecentEvents: 0 });
    } catch (error) {
      if (!(error instanceof NotFoundError && error.code === 'AR050')) throw error;
    }
    if (!stored) {
      const found = session.events.flatMap((e) => passages(eventText(e.content))
        .map((text) => ({ text, sequence: null, author: e.author, timestamp: isoTime(e.timestamp) })));
      await this.add(session, found);
      return;
    }
    const done = Number(stored.state[MEMORIZED_THROUGH_KEY] ?? 0);
    if (done >= stored.last_sequence) return;
    // memorize's own bookkeeping events are not news: a session with nothing else new is done
    const events = (await this.client.getSession(session.appName, session.userId, session.id, { afterSequence: done })).events
      .filter((e) => e.sequence <= stored.last_sequence && e.author !== MEMORIZE_AUTHOR);
    if (events.length === 0) return;
    const found = events.flatMap((e) => passages(eventText(e.content)).map((text) => ({
      text, sequence: e.sequence, author: typeof e.author === 'string' ? e.author : undefined, timestamp: isoTime(eventTimeMs(e)),
    })));
    await this.add(session, found, stored.last_sequence);
  }

  /** Adds the passages and, for a runtime session, marks them memorized, in one transaction. */
  private async add(session: Session, found: Passage[], through?: number): Promise<void> {
    const dimensions = found.length > 0 ? await this.client.memoryDimensions() : 0;
    const embeddings = found.length > 0 ? await this.embedder.embed(found.map((p) => p.text), dimensions) : [];
    await this.client.db.transaction(async (tx) => {
      for (let i = 0; i < found.length; i++) {
        const p = found[i]!;
        const metadata: JsonObject = { source: 'session', session_id: session.id };
        if (p.sequence !== null) metadata.sequence = p.sequence;
        if (p.author !== undefined) metadata.author = p.author;
        if (p.timestamp !== undefined) metadata.timestamp = p.timestamp;
        await run(tx, 'select agent_runtime.add_memory(app_name => $1, user_id => $2, content => $3, embedding => $4::real[], metadata => $5::jsonb)',
          [session.appName, session.userId, p.text, Array.from(embeddings[i]!), JSON.stringify(metadata)]);
      }
      if (through !== undefined) {
        await run(tx, 'select agent_runtime.append_event(app_name => $1, user_id => $2, session_id => $3, event => $4::jsonb, expected_sequence => $5)',
          [session.appName, session.userId, session.id,
            JSON.stringify({ author: MEMORIZE_AUTHOR, actions: { state_delta: { [MEMORIZED_THROUGH_KEY]: through } } }), through]);
      }
    });
  }

  async searchMemory({ appName, userId, query }: SearchMemoryRequest): Promise<SearchMemoryResponse> {
    const dimensions = await this.client.memoryDimensions();
    const [embedding] = await this.embedder.embed([query], dimensions);
    const matches = await this.client.searchMemory(appName, userId, { embedding: embedding!, text: query }, { k: this.searchLimit });
    return {
      memories: matches.map((m): MemoryEntry => {
        const author = typeof m.metadata.author === 'string' ? m.metadata.author : undefined;
        return {
          content: { role: author === 'user' ? 'user' : 'model', parts: [{ text: m.content }] },
          ...(author !== undefined ? { author } : {}),
          timestamp: typeof m.metadata.timestamp === 'string' ? m.metadata.timestamp : new Date(m.created_at).toISOString(),
        };
      }),
    };
  }
}
