// Types of the reference WAV decoder the format tests check against (the package ships none).
declare module 'node-wav' {
  export function decode(buffer: Uint8Array): { sampleRate: number; channelData: Float32Array[] };
}
