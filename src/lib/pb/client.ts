/**
 * Typed PocketBase client factory. No singleton: the app's composition root creates one client and
 * passes it down. Collection calls are typed by the generated ./types.ts.
 */
import PocketBase, { ClientResponseError, type RecordService } from 'pocketbase';
import {
  bandmeshRoutes,
  isBandmeshApiError,
  type BandmeshApiError,
  type JoinStudioResponse,
  type StudioPreview,
  type TicketResponse,
} from './api';
import type { CollectionRecords } from './types';

/** A PocketBase client whose `collection()` knows Bandmesh's record types. */
export interface TypedPocketBase extends PocketBase {
  collection<K extends keyof CollectionRecords>(idOrName: K): RecordService<CollectionRecords[K]>;
  collection(idOrName: string): RecordService;
}

export interface CreatePocketBaseClientOptions {
  /** PocketBase's origin; the SPA is served by PocketBase itself, so usually `location.origin`. */
  url: string;
}

export function createPocketBaseClient({ url }: CreatePocketBaseClientOptions): TypedPocketBase {
  return new PocketBase(url) as TypedPocketBase;
}

/** The `{code, message}` of a failed Bandmesh route call, or null for other errors. */
export function bandmeshError(error: unknown): BandmeshApiError | null {
  if (error instanceof ClientResponseError && isBandmeshApiError(error.response)) return error.response;
  return null;
}

export function fetchStudioTicket(pb: PocketBase, slug: string): Promise<TicketResponse> {
  return pb.send<TicketResponse>(bandmeshRoutes.ticket(slug), { method: 'POST', requestKey: null });
}

export function fetchStudioPreview(pb: PocketBase, slug: string): Promise<StudioPreview> {
  return pb.send<StudioPreview>(bandmeshRoutes.preview(slug), { method: 'GET', requestKey: null });
}

export function joinStudio(pb: PocketBase, slug: string): Promise<JoinStudioResponse> {
  return pb.send<JoinStudioResponse>(bandmeshRoutes.join(slug), { method: 'POST', requestKey: null });
}
