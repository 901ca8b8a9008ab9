/**
 * LangGraph's checkpoint saver on the runtime (docs/clients.md "LangGraph"): threads, their
 * checkpoints, channel values and pending writes in the runtime's tables, through its SQL
 * functions (put_graph_checkpoint, put_graph_writes, get_graph_checkpoint,
 * list_graph_checkpoints, delete_graph_thread). A thread belongs to an app (`appName`, default
 * "langgraph"): a role bound to tenants reaches the threads of its apps only, and an admin's
 * retention setting retention.graph_threads_after deletes threads nobody wrote to for that long.
 *
 * Storage follows LangGraph's PostgresSaver: a checkpoint row without its channel values, each
 * channel value stored once per version (a step that changes one channel stores one value), and
 * writes replayed in (task_id, idx) order. Nothing to set up: the migration made the tables.
 */
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver, TASKS, WRITES_IDX_MAP, maxChannelVersion,
  type ChannelVersions, type Checkpoint, type CheckpointListOptions, type CheckpointMetadata, type CheckpointPendingWrite,
  type CheckpointTuple, type PendingWrite, type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import { AgentRuntimeClient } from '../client/client.js';
import type { ConnectionOptions } from '../client/database.js';
import type { GraphCheckpointRow, JsonObject } from '../client/types.js';

export type AgentRuntimeSaverOptions = ConnectionOptions & {
  /** The app (tenant) the threads belong to (default "langgraph"). */
  appName?: string;
  serde?: SerializerProtocol;
};

const decoder = new TextDecoder();

export class AgentRuntimeSaver extends BaseCheckpointSaver {
  readonly client: AgentRuntimeClient;
  readonly appName: string;

  constructor(options: AgentRuntimeSaverOptions) {
    super(options.serde);
    this.client = new AgentRuntimeClient(options);
    this.appName = options.appName ?? 'langgraph';
  }

  /** Closes the pool when the saver made it. */
  end(): Promise<void> {
    return this.client.end();
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const { thread_id, checkpoint_ns = '', checkpoint_id } = config.configurable ?? {};
    if (thread_id === undefined || thread_id === null) {
      return undefined;
    }
    const row = await this.client.getGraphCheckpoint(this.appName, String(thread_id), checkpoint_ns, checkpoint_id || undefined);
    return row && this.toTuple(row);
  }

  async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    const { filter, before, limit } = options ?? {};
    const configurable = config?.configurable ?? {};
    const rows = await this.client.listGraphCheckpoints(this.appName, {
      threadId: configurable.thread_id ? String(configurable.thread_id) : undefined,
      checkpointNs: configurable.checkpoint_ns ?? undefined,
      checkpointId: configurable.checkpoint_id || undefined,
      filter: filter && Object.keys(filter).length > 0 ? (filter as JsonObject) : undefined,
      before: before?.configurable?.checkpoint_id,
      maxCheckpoints: limit === undefined ? undefined : Number.parseInt(String(limit), 10),
    });
    for (const row of rows) {
      yield await this.toTuple(row);
    }
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    if (config.configurable === undefined) {
      throw new Error('Missing "configurable" field in "config" param');
    }
    const { thread_id, checkpoint_ns = '', checkpoint_id } = config.configurable;
    const { channel_values: values, ...rest } = checkpoint;
    const blobs = await Promise.all(Object.entries(newVersions).map(async ([channel, version]) => {
      const [type, blob] = channel in values ? await this.serde.dumpsTyped(values[channel]) : ['empty', null];
      return { channel, version: String(version), type, blob };
    }));
    await this.client.putGraphCheckpoint(
      { appName: this.appName, threadId: thread_id, checkpointNs: checkpoint_ns, checkpointId: checkpoint.id },
      rest as unknown as JsonObject, await this.dumpMetadata(metadata), checkpoint_id, blobs);
    return { configurable: { thread_id, checkpoint_ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    const { thread_id, checkpoint_ns = '', checkpoint_id } = config.configurable ?? {};
    const dumped = await Promise.all(writes.map(async ([channel, value], idx) => {
      const [type, blob] = await this.serde.dumpsTyped(value);
      return { idx: WRITES_IDX_MAP[channel] ?? idx, channel, type, blob };
    }));
    await this.client.putGraphWrites(
      { appName: this.appName, threadId: thread_id, checkpointNs: checkpoint_ns, checkpointId: checkpoint_id }, taskId, dumped);
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.client.deleteGraphThread(this.appName, threadId);
  }

  /** Metadata is stored as JSON (searchable by list's filter); NUL characters, which jsonb cannot hold, are dropped. */
  private async dumpMetadata(metadata: CheckpointMetadata): Promise<JsonObject> {
    const [, bytes] = await this.serde.dumpsTyped(metadata);
    return JSON.parse(decoder.decode(bytes).replace(/(?<!\\)\\u0000/g, '')) as JsonObject;
  }

  private async toTuple(row: GraphCheckpointRow): Promise<CheckpointTuple> {
    const { thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id } = row;
    const stored = row.checkpoint as unknown as Checkpoint;
    const channelValues: Record<string, unknown> = {};
    const channels = row.channels ?? [];
    await Promise.all(channels.map(async (channel, i) => {
      const type = row.channel_types![i]!;
      if (type !== 'empty') {
        channelValues[channel] = await this.serde.loadsTyped(type, row.channel_blobs![i]!);
      }
    }));
    const checkpoint: Checkpoint = {
      ...stored,
      channel_versions: stored.channel_versions ?? {},
      versions_seen: stored.versions_seen ?? {},
      channel_values: channelValues,
    };
    if (row.parent_send_types) {
      // A checkpoint of format v < 4: its pending sends were writes of the parent; newer formats keep them as a channel.
      const sends = await Promise.all(row.parent_send_types.map((type, i) => this.serde.loadsTyped(type, row.parent_send_blobs![i]!)));
      checkpoint.channel_values[TASKS] = sends;
      checkpoint.channel_versions = { ...checkpoint.channel_versions };
      checkpoint.channel_versions[TASKS] = Object.keys(checkpoint.channel_versions).length > 0
        ? maxChannelVersion(...Object.values(checkpoint.channel_versions))
        : this.getNextVersion(undefined);
    }
    const pendingWrites: CheckpointPendingWrite[] = await Promise.all((row.write_task_ids ?? []).map(async (taskId, i) =>
      [taskId, row.write_channels![i]!, await this.serde.loadsTyped(row.write_types![i]!, row.write_blobs![i]!)] as CheckpointPendingWrite));
    const [type, bytes] = await this.serde.dumpsTyped(row.metadata);
    return {
      config: { configurable: { thread_id, checkpoint_ns, checkpoint_id } },
      checkpoint,
      metadata: (await this.serde.loadsTyped(type, bytes)) as CheckpointMetadata,
      parentConfig: parent_checkpoint_id ? { configurable: { thread_id, checkpoint_ns, checkpoint_id: parent_checkpoint_id } } : undefined,
      pendingWrites,
    };
  }
}
