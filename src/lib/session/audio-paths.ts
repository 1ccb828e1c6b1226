/**
 * Which audio path each pair uses. A pair takes our own data path (Opus or PCM frames over a
 * lossy data channel, our jitter buffer) when both players can; otherwise a tuned WebRTC audio track.
 * Each player advertises what it can do in its presence; both sides of a pair compute the same answer.
 */
import type { AudioPath } from '../sync/presence';

/** The path a pair uses. A peer that advertises nothing is an older client: it knows only `data`. */
export function choosePath(mine: readonly AudioPath[], theirs: readonly AudioPath[] | undefined): AudioPath {
  const remote = theirs ?? ['data'];
  if (mine.includes('data') && remote.includes('data')) return 'data';
  if (mine.includes('track') && remote.includes('track')) return 'track';
  // No common path (a track-only player meets an older client): the data path degrades best.
  return 'data';
}

/** What this player advertises: forced to the track path, or what the browser supports. */
export function advertisedPaths(capabilities: { data: boolean }, forceTrack: boolean): AudioPath[] {
  return forceTrack || !capabilities.data ? ['track'] : ['data', 'track'];
}

/**
 * Whether this browser can run the data path: WebAssembly (our Opus codec runs in it, in the Worker),
 * and an RTCDataChannel that can be transferred (to the audio Worker). The transfer is tried on a
 * throwaway channel, in the task that created it (the only moment Chromium allows it), to a throwaway
 * MessageChannel port. The codec itself is not loaded here: the Worker loads it.
 */
export async function detectDataPath(): Promise<boolean> {
  return canTransferDataChannel() && (await canCompileWasm());
}

async function canCompileWasm(): Promise<boolean> {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') return false;
  try {
    // The smallest valid module: proves compilation is allowed here (CSP 'wasm-unsafe-eval').
    await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    return true;
  } catch {
    return false;
  }
}

function canTransferDataChannel(): boolean {
  if (typeof window === 'undefined' || !('RTCDataChannel' in window)) return false;
  let pc: RTCPeerConnection | null = null;
  const { port1, port2 } = new MessageChannel();
  try {
    pc = new RTCPeerConnection();
    const channel = pc.createDataChannel('probe', { negotiated: true, id: 0 });
    port1.postMessage(channel, [channel as unknown as Transferable]);
    return true;
  } catch {
    return false; // DataCloneError: channels are not transferable in this browser
  } finally {
    pc?.close();
    port1.close();
    port2.close();
  }
}
