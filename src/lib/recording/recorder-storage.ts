/**
 * The recorder's watch on storage. A take does not start below MIN_FREE_BYTES and stops cleanly when
 * the estimate drops below it or a write hits the quota: what was written is flushed and kept, and
 * the manifest says `storage-full`. An estimate that fails or does not exist never stops a take.
 */
import { MIN_FREE_BYTES, type StorageInfo } from '../protocol/recording';
import type { StorageEstimateLike } from './opfs';
import { RequestError } from './recorder-validation';

type Estimate = () => Promise<StorageEstimateLike | null>;

const MB = 1024 * 1024;

/** Why a take stops when a write hits the quota. */
export const STORAGE_FULL_MESSAGE =
  'Storage is full: the take stopped; everything recorded until now is kept.';

/** Throws a RequestError when there is too little room to start a take. */
export async function checkRoomToStart(estimate: Estimate): Promise<void> {
  const free = freeBytes(await estimate().catch(() => null));
  if (free !== null && free < MIN_FREE_BYTES) {
    throw new RequestError(
      `Not enough storage to record: ${Math.floor(free / MB)} MB free, at least ${MIN_FREE_BYTES / MB} MB needed. Delete old takes or free some disk space.`,
    );
  }
}

/** The message to stop a running take with when storage runs low, or null while there is room. */
export async function storageRunningOut(estimate: Estimate): Promise<string | null> {
  const free = freeBytes(await estimate().catch(() => null));
  if (free === null || free >= MIN_FREE_BYTES) return null;
  return `Storage is almost full (${Math.floor(free / MB)} MB left): the take stopped; everything recorded until now is kept.`;
}

/** Usage, quota and persistence for the `storage` request (unknowns as null / false). */
export async function storageInfo(
  estimate: Estimate,
  persisted: () => Promise<boolean>,
): Promise<StorageInfo> {
  const known = await estimate().catch(() => null);
  return {
    usage: known?.usage ?? null,
    quota: known?.quota ?? null,
    persisted: await persisted().catch(() => false),
  };
}

function freeBytes(estimate: StorageEstimateLike | null): number | null {
  if (!estimate || typeof estimate.quota !== 'number' || typeof estimate.usage !== 'number') return null;
  return Math.max(0, estimate.quota - estimate.usage);
}
