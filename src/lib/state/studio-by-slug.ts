/**
 * The first step of the studio's settings and members pages: who is asking, and what this studio is
 * to them. A non-member gets 'not-found', as on the studio page: a private studio they are not in
 * must look like an address without a studio.
 */
import { describeError, errorCode, errorStatus } from '../pb/errors';
import type { StudioApi, StudioPreview } from '../pb/studios';

export type StudioLookup =
  | { kind: 'loading' }
  | { kind: 'not-found' }
  | { kind: 'error'; message: string }
  | { kind: 'member'; preview: StudioPreview & { role: NonNullable<StudioPreview['role']> } };

export async function lookUpStudio(studios: StudioApi, slug: string): Promise<StudioLookup> {
  try {
    const preview = await studios.preview(slug);
    if (!preview.isMember || !preview.role) return { kind: 'not-found' };
    return { kind: 'member', preview: { ...preview, role: preview.role } };
  } catch (error) {
    if (errorCode(error) === 'not-found' || errorStatus(error) === 404) return { kind: 'not-found' };
    return { kind: 'error', message: describeError(error).message };
  }
}
