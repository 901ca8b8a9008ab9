/**
 * ADK's artifact service on the runtime's artifacts (docs/artifacts.md): versioned files of a
 * session, or of its user when the filename starts with "user:", versions from 0, content
 * stored once per SHA-256. A part is stored as bytes with a media type:
 *
 * - `inlineData`: its bytes and mimeType (application/octet-stream when it has none);
 * - `text`: UTF-8, text/plain;
 * - `fileData`: the URI, text/uri-list (the file itself stays where it is).
 *
 * Which kind of part it was is kept in the version's metadata under ARTIFACT_PART_KEY, beside
 * the customMetadata (which comes back without it). Files other clients saved (an agent's
 * completion effects, the .NET client) load as text when they are text/plain and as inlineData
 * otherwise.
 */
import type {
  ArtifactVersion, BaseArtifactService, DeleteArtifactRequest, ListArtifactKeysRequest, ListVersionsRequest,
  LoadArtifactRequest, SaveArtifactRequest,
} from '@google/adk';
import { AgentRuntimeClient } from '../client/client.js';
import type { ConnectionOptions } from '../client/database.js';
import { NotFoundError } from '../client/errors.js';
import type { ArtifactVersion as StoredVersion, JsonObject } from '../client/types.js';

type Part = SaveArtifactRequest['artifact'];

/** The metadata key that records the part's kind ("text", "inlineData" or "fileData", with the file's media type). */
export const ARTIFACT_PART_KEY = 'adk_part';

function notFound(error: unknown): boolean {
  return error instanceof NotFoundError && (error.code === 'AR090' || error.code === 'AR050');
}

function customMetadata(metadata: JsonObject): Record<string, unknown> | undefined {
  const { [ARTIFACT_PART_KEY]: _part, ...custom } = metadata;
  return Object.keys(custom).length > 0 ? custom : undefined;
}

function baseMime(mimeType: string): string {
  return mimeType.split(';')[0]!.trim().toLowerCase();
}

export class AgentRuntimeArtifactService implements BaseArtifactService {
  readonly client: AgentRuntimeClient;

  constructor(options: ConnectionOptions) {
    this.client = new AgentRuntimeClient(options);
  }

  end(): Promise<void> {
    return this.client.end();
  }

  async saveArtifact({ appName, userId, sessionId, filename, artifact, customMetadata: custom }: SaveArtifactRequest): Promise<number> {
    let content: Buffer;
    let mimeType: string;
    let part: JsonObject;
    if (artifact.inlineData) {
      content = Buffer.from(artifact.inlineData.data ?? '', 'base64');
      mimeType = artifact.inlineData.mimeType || 'application/octet-stream';
      part = { kind: 'inlineData' };
    } else if (artifact.text !== undefined) {
      content = Buffer.from(artifact.text, 'utf8');
      mimeType = 'text/plain';
      part = { kind: 'text' };
    } else if (artifact.fileData?.fileUri) {
      content = Buffer.from(artifact.fileData.fileUri, 'utf8');
      mimeType = 'text/uri-list';
      part = { kind: 'fileData', ...(artifact.fileData.mimeType ? { mime_type: artifact.fileData.mimeType } : {}) };
    } else {
      throw new TypeError('an artifact needs inlineData, text or fileData with a fileUri');
    }
    const metadata = { ...(JSON.parse(JSON.stringify(custom ?? {})) as JsonObject), [ARTIFACT_PART_KEY]: part };
    return this.client.saveArtifact(appName, userId, sessionId, filename, content, mimeType, metadata);
  }

  async loadArtifact({ appName, userId, sessionId, filename, version }: LoadArtifactRequest): Promise<Part | undefined> {
    let loaded;
    try {
      loaded = await this.client.loadArtifact(appName, userId, sessionId, filename, version);
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
    const part = loaded.metadata[ARTIFACT_PART_KEY] as { kind?: string; mime_type?: string } | undefined;
    const kind = part?.kind ?? (baseMime(loaded.mime_type) === 'text/plain' ? 'text' : 'inlineData');
    if (kind === 'text') {
      return { text: loaded.content.toString('utf8') };
    }
    if (kind === 'fileData') {
      return { fileData: { fileUri: loaded.content.toString('utf8'), ...(part?.mime_type ? { mimeType: part.mime_type } : {}) } };
    }
    return { inlineData: { mimeType: loaded.mime_type, data: loaded.content.toString('base64') } };
  }

  /** The session's filenames and its user's "user:" files, sorted. */
  async listArtifactKeys({ appName, userId, sessionId }: ListArtifactKeysRequest): Promise<string[]> {
    try {
      return await this.client.listArtifactKeys(appName, userId, sessionId);
    } catch (error) {
      if (notFound(error)) return [];
      throw error;
    }
  }

  async deleteArtifact({ appName, userId, sessionId, filename }: DeleteArtifactRequest): Promise<void> {
    try {
      await this.client.deleteArtifact(appName, userId, sessionId, filename);
    } catch (error) {
      if (!notFound(error)) throw error;
    }
  }

  async listVersions(request: ListVersionsRequest): Promise<number[]> {
    return (await this.versions(request)).map((v) => v.version);
  }

  async listArtifactVersions(request: ListVersionsRequest): Promise<ArtifactVersion[]> {
    return (await this.versions(request)).map((v) => toArtifactVersion(request, v));
  }

  async getArtifactVersion(request: LoadArtifactRequest): Promise<ArtifactVersion | undefined> {
    const versions = await this.versions(request);
    const found = request.version === undefined ? versions.at(-1) : versions.find((v) => v.version === request.version);
    return found && toArtifactVersion(request, found);
  }

  private async versions({ appName, userId, sessionId, filename }: ListVersionsRequest): Promise<StoredVersion[]> {
    try {
      return await this.client.listArtifactVersions(appName, userId, sessionId, filename);
    } catch (error) {
      if (notFound(error)) return [];
      throw error;
    }
  }
}

function toArtifactVersion({ sessionId, filename }: ListVersionsRequest, stored: StoredVersion): ArtifactVersion {
  const part = stored.metadata[ARTIFACT_PART_KEY] as { kind?: string; mime_type?: string } | undefined;
  const custom = customMetadata(stored.metadata);
  return {
    version: stored.version,
    // the runtime's reference to a stored file (as get_a2a_task gives it), which load_artifact resolves
    canonicalUri: `artifact:${encodeURIComponent(sessionId)}/${encodeURIComponent(filename)}?version=${stored.version}`,
    mimeType: part?.kind === 'fileData' ? part.mime_type : stored.mime_type,
    ...(custom ? { customMetadata: custom } : {}),
  };
}
