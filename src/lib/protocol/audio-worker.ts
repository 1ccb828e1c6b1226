/**
 * Messages between the main thread and the audio network Worker, which owns the encoder, one decoder
 * per peer and every peer's lossy audio channel (transferred to it). Nothing else crosses this boundary.
 */
import type { AudioMemory } from './audio-layout.js';

export const AUDIO_WORKER_VERSION = 1;

export const TransportCodec = { Opus: 'opus', Pcm: 'pcm' } as const;
export type TransportCodec = (typeof TransportCodec)[keyof typeof TransportCodec];

export interface SendSettings {
  codec: TransportCodec;
  /** Samples per channel per frame at 48 kHz: 120 (2.5 ms), 240 (5 ms) or 480 (10 ms). */
  frameSamples: number;
  channels: 1 | 2;
  /** Opus bitrate, bits per second. */
  bitrate: number;
  /** Opus in-band forward error correction. */
  fec: boolean;
}

// ---- main → worker -----------------------------------------------------------------------------

export type ToAudioWorker =
  | {
      type: 'init';
      version: number;
      /** Capture ring (SampleRing) and all peers' packet rings (PacketRing.forPeer). */
      captureMemory: AudioMemory;
      packetMemory: AudioMemory;
      /** True when the memories are SharedArrayBuffers; else frames/packets go through the ports. */
      shared: boolean;
      capturePort?: MessagePort;
      playbackPort?: MessagePort;
      settings: SendSettings;
    }
  | { type: 'settings'; settings: SendSettings }
  /** Transferred in the task that created it; `channel` is absent when the transfer failed (see `frame`). */
  | { type: 'add-peer'; peerKey: string; slot: number; channel?: RTCDataChannel }
  /** Fallback when a channel could not be transferred: the main thread relays what arrives. */
  | { type: 'frame'; peerKey: string; bytes: ArrayBuffer }
  | { type: 'remove-peer'; peerKey: string }
  /** No shared memory: a captured frame, relayed from the capture worklet (interleaved). */
  | {
      type: 'capture-frame';
      senderTime: number;
      frameSamples: number;
      channels: number;
      samples: Float32Array;
    }
  | { type: 'sending'; enabled: boolean }
  | { type: 'dispose' };

// ---- worker → main -----------------------------------------------------------------------------

export interface PeerLinkStats {
  peerKey: string;
  /** Smoothed round-trip time on the audio channel, ms; null until measured. */
  rttMs: number | null;
  framesSent: number;
  framesReceived: number;
  badFrames: number;
  codec: TransportCodec | null;
}

export type FromAudioWorker =
  | { type: 'ready'; codec: TransportCodec; opusSupported: boolean }
  | { type: 'stats'; peers: PeerLinkStats[]; encodeErrors: number }
  /** Fallback: bytes to send on a channel the main thread kept. */
  | { type: 'send'; peerKey: string; bytes: ArrayBuffer }
  /** No shared memory: a decoded packet for the playback worklet (planar PCM), relayed by the engine. */
  | {
      type: 'packet';
      slot: number;
      seq: number;
      senderTime: number;
      arrivalTime: number;
      frameSamples: number;
      channels: number;
      flags: number;
      pcm: Float32Array;
    }
  | { type: 'error'; code: string; message: string };
