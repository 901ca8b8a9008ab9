/**
 * Connections: a pg.Pool of the caller's or one made from a connection string, queries that
 * reject with typed AR errors, transactions. Type parsing is set per query, never globally, so
 * the caller's other uses of pg keep their own: bigint (int8) values come back as numbers (step,
 * event and memory ids stay far below 2^53), everything else as pg parses it.
 */
import pg from 'pg';
import { toAgentRuntimeError } from './errors.js';

/** How a client, worker or service reaches PostgreSQL: a connection string, or a pool of yours. */
export type ConnectionOptions =
  | { connectionString: string; pool?: undefined; max?: number }
  | { pool: pg.Pool; connectionString?: undefined };

const INT8 = 20;
const INT8_ARRAY = 1016;

function parseInt8(value: string): number {
  return Number(value);
}

/** pg's parsers, but int8 and int8[] as numbers. */
export const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format !== 'binary') {
      if (oid === INT8) {
        return parseInt8;
      }
      if (oid === INT8_ARRAY) {
        const parse = pg.types.getTypeParser(INT8_ARRAY as never, 'text') as (value: string) => (string | null)[];
        return (value: string) => parse(value).map((v) => (v === null ? null : Number(v)));
      }
    }
    return pg.types.getTypeParser(oid as never, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** Something that runs a query: the pool, or one client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/** Runs `text` with `values` on `on`, with this client's type parsers and AR errors as typed errors. */
export async function run<R extends pg.QueryResultRow = pg.QueryResultRow>(
  on: Queryable, text: string, values: unknown[] = []): Promise<R[]> {
  try {
    const result = await on.query<R>({ text, values, types: TYPES });
    return result.rows;
  } catch (error) {
    throw toAgentRuntimeError(error);
  }
}

export class Database {
  readonly pool: pg.Pool;
  private readonly ownsPool: boolean;

  constructor(options: ConnectionOptions) {
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else if (options.connectionString) {
      this.pool = new pg.Pool({ connectionString: options.connectionString, max: options.max ?? 10 });
      // An idle client that loses its connection emits 'error' on the pool; the next query reconnects.
      this.pool.on('error', () => {});
      this.ownsPool = true;
    } else {
      throw new TypeError('pass { connectionString } or { pool }');
    }
  }

  /** Rows of one statement. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return run<R>(this.pool, text, values);
  }

  /** The first row of one statement, or undefined. */
  async one<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R | undefined> {
    return (await this.query<R>(text, values))[0];
  }

  /** Runs `work` in a transaction on one connection: committed when it resolves, rolled back when it throws. */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      try {
        await client.query('rollback');
      } catch {
        broken = true; // the connection is gone: do not hand it back to the pool
      }
      throw toAgentRuntimeError(error);
    } finally {
      client.release(broken);
    }
  }

  /** Ends the pool when this object made it (a pool you passed in stays yours). */
  async end(): Promise<void> {
    if (this.ownsPool) {
      await this.pool.end();
    }
  }
}
