/**
 * The public studio directory (pocketbase/internal/directory): `GET /api/bandmesh/directory`.
 * Public studios only, whatever the query; `playingNow` is null when no relay could say.
 */
import type PocketBase from 'pocketbase';
import type { StudiosGenreOptions } from './types';

export const DIRECTORY_PATH = '/api/bandmesh/directory';
/** The server's bounds (directory/params.go); the page keeps requests inside them. */
export const DIRECTORY_MAX_QUERY = 80;
export const DIRECTORY_MAX_INSTRUMENT = 40;
export const DIRECTORY_PER_PAGE = 12;

export interface DirectoryStudio {
  id: string;
  name: string;
  slug: string;
  description: string;
  genre: StudiosGenreOptions | '';
  instruments: string[];
  memberCount: number;
  /** The asking user is a member (the card opens the studio instead of offering to join). */
  isMember: boolean;
  playingNow: number | null;
}

export interface DirectoryPage {
  items: DirectoryStudio[];
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
}

export interface DirectoryQuery {
  q?: string;
  genre?: string;
  instrument?: string;
  page?: number;
  perPage?: number;
}

/** The query string of a directory request; empty filters are left out. */
export function directorySearchParams(query: DirectoryQuery): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  return params;
}

export function fetchDirectory(pb: PocketBase, query: DirectoryQuery): Promise<DirectoryPage> {
  const search = directorySearchParams(query).toString();
  return pb.send<DirectoryPage>(search ? `${DIRECTORY_PATH}?${search}` : DIRECTORY_PATH, {
    method: 'GET',
    requestKey: null,
  });
}
