/**
 * Prop types of the recording components. Components import only components, so these are their own
 * structural copies of the recording contract (protocol/recording.ts) and of what the page passes in;
 * state/recording-room.svelte.ts satisfies RecordingView, the page builds TakesActions.
 */

export type RecordPhase = 'idle' | 'starting' | 'recording' | 'stopping';
export type RecordingPolicy = 'everyone' | 'engineers' | 'nobody';

export interface TakeItem {
  id: string;
  name: string;
  /** ISO time of the first sample. */
  startedAt: string;
  durationFrames: number;
  players: string[];
  bytes: number;
  /** Left 'recording' by a crash or a closed tab: it can be recovered. */
  unfinished: boolean;
}

export interface StorageFigures {
  usage: number | null;
  quota: number | null;
  persisted: boolean;
}

/** What an export writes: the mix, the stems or both, as WAV (24-bit) or Ogg Opus. */
export interface ExportChoice {
  format: 'wav' | 'opus';
  what: 'mix' | 'stems' | 'all';
  silenceConcealed?: boolean;
}

/** A take's track as the export panel describes it. */
export interface TrackFacts {
  name: string;
  kind: 'mix' | 'self' | 'remote' | 'backing';
  frames: number;
  /** False: placed by arrival time (no clock estimate for that player). */
  aligned: boolean;
}

export interface UploadRequest {
  takeId: string;
  kind: 'mix' | 'stems';
  name: string;
  durationFrames: number;
  file: File;
  onProgress: (fraction: number) => void;
  signal: AbortSignal;
}

export interface TakesActions {
  rename(id: string, name: string): Promise<unknown>;
  delete(id: string): Promise<unknown>;
  recover(id: string): Promise<unknown>;
  tracks(id: string): Promise<TrackFacts[]>;
  export(
    id: string,
    choice: ExportChoice,
    onProgress: (f: number) => void,
    signal: AbortSignal,
  ): Promise<File>;
  /** The mix as a Blob an <audio> element plays from disk; null: the take has no mix. */
  playback(id: string): Promise<Blob | null>;
  /** Null when uploads are not available. */
  upload: ((request: UploadRequest) => Promise<unknown>) | null;
}

/** What the recording panel reads (state/recording-room.svelte.ts is one). */
export interface RecordingView {
  readonly status: {
    phase: RecordPhase;
    takeId: string | null;
    durationFrames: number;
    mayRecord: boolean;
    admitted: boolean;
    problem: string | null;
    noStem: string[];
  };
  readonly freeBytes: number | null;
  readonly minutesLeft: number | null;
  readonly lowStorage: boolean;
  readonly takes: TakeItem[];
  readonly takesLoaded: boolean;
  readonly takesError: string | null;
  readonly storage: StorageFigures | null;
  /** The studio's "Recording allowed"; null while unknown. */
  readonly policy: RecordingPolicy | null;
  start(): Promise<void>;
  stop(): Promise<void>;
  refresh(): Promise<void>;
  setPolicy(policy: RecordingPolicy): Promise<void>;
}

/** A take uploaded to the studio (PocketBase `recordings`), as the uploaded-takes list shows it. */
export interface UploadedTakeItem {
  id: string;
  name: string;
  kind: 'mix' | 'stems';
  durationFrames: number;
  bytes: number;
  uploaderId: string;
  uploaderName: string;
  /** When it was uploaded (PocketBase's `created`). */
  created: string;
  fileName: string;
  /** A mix in a format browsers play (.wav/.ogg/.opus); the list still asks this browser. */
  playable: boolean;
}

/** Who looks at the uploaded takes: the uploader and the studio owner may delete one. */
export interface UploadedTakesPermissions {
  userId: string;
  isOwner: boolean;
}
