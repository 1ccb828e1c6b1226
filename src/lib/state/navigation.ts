import { goto } from '$app/navigation';

/** Only same-origin paths may be used as a post-login destination (no open redirects). */
export function safeNext(value: string | null, fallback = '/'): string {
  return value && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\')
    ? value
    : fallback;
}

/**
 * Opens an app path. Studio pages get a full document load, because only a document response can
 * carry the cross-origin-isolation headers (COOP/COEP) that make SharedArrayBuffer available there.
 */
export async function openPath(path: string): Promise<void> {
  if (path.startsWith('/s/')) window.location.assign(path);
  else await goto(path);
}
