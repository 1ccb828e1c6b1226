/**
 * The studio's uploaded takes (PocketBase `recordings`, members only) as reactive state for the
 * presentational components/recording/UploadedTakes.svelte: the list, whether it loaded, the last
 * error, and what the list can do (a fresh file address to play or download, delete). File addresses
 * carry a short-lived token, so each play or download asks for a fresh one. The page reloads the list
 * when an upload of this visit finishes (RecordingRoom.uploads).
 */
import type { UploadedTakeItem } from '../components/recording/types';
import type { TypedPocketBase } from '../pb/client';
import {
  deleteRecording,
  isPlayableFile,
  listRecordings,
  recordingFileUrl,
  type UploadedRecording,
} from '../recording/upload';

export class UploadedTakesList {
  readonly #pb: TypedPocketBase;
  readonly #studioId: string;
  #items = $state<UploadedTakeItem[]>([]);
  #loaded = $state(false);
  #error = $state<string | null>(null);
  /** Only the latest refresh writes the list (an older, slower answer would show a stale one). */
  #refreshes = 0;
  #disposed = false;

  constructor(pb: TypedPocketBase, studioId: string) {
    this.#pb = pb;
    this.#studioId = studioId;
  }

  get items(): UploadedTakeItem[] {
    return this.#items;
  }

  /** False until the first list (or its error) arrived. */
  get loaded(): boolean {
    return this.#loaded;
  }

  get error(): string | null {
    return this.#error;
  }

  /** Reloads the list. */
  async refresh(): Promise<void> {
    const refresh = ++this.#refreshes;
    try {
      const records = await listRecordings(this.#pb, this.#studioId);
      if (this.#stale(refresh)) return;
      this.#items = records.map(toItem);
      this.#error = null;
    } catch (error) {
      if (!this.#stale(refresh)) this.#fail(error);
    } finally {
      if (!this.#stale(refresh)) this.#loaded = true;
    }
  }

  /** A fresh address of the take's file (`download`: saved, not opened); null: failed, see `error`. */
  async fileUrl(item: Pick<UploadedTakeItem, 'id' | 'fileName'>, download = false): Promise<string | null> {
    this.#error = null;
    try {
      return await recordingFileUrl(this.#pb, { id: item.id, fileName: item.fileName }, download);
    } catch (error) {
      this.#fail(error);
      return null;
    }
  }

  /** Deletes an uploaded take and reloads the list; false: refused or failed, see `error`. */
  async delete(id: string): Promise<boolean> {
    this.#error = null;
    try {
      await deleteRecording(this.#pb, id);
    } catch (error) {
      this.#fail(error);
      return false;
    }
    await this.refresh();
    return true;
  }

  /** Stops writing state (the page left the studio); idempotent. */
  dispose(): void {
    this.#disposed = true;
  }

  #stale(refresh: number): boolean {
    return this.#disposed || refresh !== this.#refreshes;
  }

  #fail(error: unknown): void {
    if (!this.#disposed) this.#error = error instanceof Error ? error.message : String(error);
  }
}

function toItem(record: UploadedRecording): UploadedTakeItem {
  return {
    id: record.id,
    name: record.name,
    kind: record.kind,
    durationFrames: record.durationFrames,
    bytes: record.bytes,
    uploaderId: record.uploaderId,
    uploaderName: record.uploaderName,
    created: record.created,
    fileName: record.fileName,
    playable: record.kind === 'mix' && isPlayableFile(record.fileName),
  };
}
