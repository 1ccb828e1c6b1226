/**
 * How a pair's audio can travel, as peers advertise it to each other: `data` = our own Opus/PCM
 * frames over a lossy data channel (needs WebAssembly for Opus and transferable data channels),
 * `track` = a tuned WebRTC audio track. (SFU and TURN routes come with the relay.)
 */
export const AUDIO_PATHS = ['data', 'track'] as const;
export type AudioPath = (typeof AUDIO_PATHS)[number];

export function isAudioPathList(value: unknown): value is AudioPath[] {
  return (
    Array.isArray(value) &&
    value.length <= AUDIO_PATHS.length &&
    value.every((path) => (AUDIO_PATHS as readonly unknown[]).includes(path))
  );
}
