/**
 * The person's rights over their data (internal/account on the server): download everything the
 * server holds about them, and delete the account after typing the password again.
 */
import type { TypedPocketBase } from './client';
import { errorCode, errorStatus } from './errors';

export const accountRoutes = {
  export: '/api/bandmesh/me/export',
  delete: '/api/bandmesh/me/delete',
} as const;

export interface DeleteAccountAnswer {
  deleted: true;
  handedOver: { studio: string; name: string; owner: string }[];
  studiosDeleted: number;
}

/** The export as pretty-printed JSON text, ready to be saved as a file. */
export async function exportMyData(pb: TypedPocketBase): Promise<string> {
  const data = await pb.send<unknown>(accountRoutes.export, { method: 'GET', requestKey: null });
  return JSON.stringify(data, null, 2);
}

/** Why a delete failed, for the UI to word in the reader's language; `message` is the English sentence. */
export type DeleteFailure = 'unreachable' | 'wrong-password' | 'server' | 'unknown';

export type DeleteAccountResult =
  { ok: true; answer: DeleteAccountAnswer } | { ok: false; message: string; reason: DeleteFailure };

/** Deletes the signed-in account; on success the session is cleared too. */
export async function deleteMyAccount(pb: TypedPocketBase, password: string): Promise<DeleteAccountResult> {
  try {
    const answer = await pb.send<DeleteAccountAnswer>(accountRoutes.delete, {
      method: 'POST',
      body: { password },
      requestKey: null,
    });
    pb.authStore.clear();
    return { ok: true, answer };
  } catch (error) {
    if (errorStatus(error) === 0) {
      return {
        ok: false,
        message: 'Cannot reach the server. Your account has not been deleted.',
        reason: 'unreachable',
      };
    }
    const message = (error as { response?: { message?: unknown } }).response?.message;
    const code = errorCode(error);
    if (code && typeof message === 'string') {
      return { ok: false, message, reason: code === 'wrong-password' ? 'wrong-password' : 'server' };
    }
    return {
      ok: false,
      message: 'Something went wrong. Your account has not been deleted.',
      reason: 'unknown',
    };
  }
}
