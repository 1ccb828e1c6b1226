/**
 * createStudioSession(): the composition root of one studio visit. It owns the relay connection, the
 * mesh of peer links and the shared document, wires them together, and tears all of it down in
 * dispose() (once; later calls do nothing). Nothing here is global: two sessions can coexist.
 */
import { AudioNetClient } from '../audio/audio-net-client';
import { Mesh } from '../net/mesh';
import { PeerLink } from '../net/peer-link';
import { SignalingClient, type SignalingState, type SocketLike } from '../net/signaling-client';
import type { Impairment } from '../protocol/audio-worker';
import { studioTopic, type TicketResponse } from '../protocol/ticket';
import { MixerDoc, rolesFromPresence } from '../sync/mixer-doc';
import type { Presence, PresentPeer } from '../sync/presence';
import { StudioSync } from '../sync/studio-sync';
import { Emitter } from '../util/emitter';
import { StudioAudio, type AudioAssets } from './studio-audio';

export interface StudioSessionEvents extends Record<string, unknown> {
  presence: PresentPeer[];
  connection: { state: SignalingState; detail?: string };
  error: { code: string; message: string; fatal: boolean };
}

export interface StudioSessionOptions {
  /** The ticket that let the page in; its relay URL and ICE servers are used from the start. */
  ticket: TicketResponse;
  /** Fetches a fresh ticket (each relay reconnect needs one). */
  fetchTicket(): Promise<TicketResponse>;
  /** What this player shows to the others. */
  me: Omit<Presence, 'peerId' | 'joinedAt'>;
  /** The audio network Worker and worklet modules (bundler assets, passed in by the page). */
  audio: AudioAssets & {
    createWorker(): Worker;
    benchmark?: boolean;
    impairment?: Impairment | null;
    /** Use the WebRTC audio track path with every peer (comparisons, benchmarks). */
    forceTrack?: boolean;
  };
  createSocket?: (url: string) => SocketLike;
}

export interface StudioSession {
  readonly peerId: string;
  readonly events: Emitter<StudioSessionEvents>;
  readonly sync: StudioSync;
  readonly mixer: MixerDoc;
  readonly audio: StudioAudio;
  presence(): PresentPeer[];
  connectionState(): SignalingState;
  dispose(): void;
}

export function createStudioSession(options: StudioSessionOptions): StudioSession {
  const peerId = crypto.randomUUID();
  const events = new Emitter<StudioSessionEvents>();
  const topic = studioTopic(options.ticket.studioId);
  let iceServers = options.ticket.iceServers as RTCIceServer[];
  let pendingTicket: TicketResponse | null = options.ticket;

  const sync = new StudioSync();
  const joinedAt = Date.now();
  sync.events.on('presence', (list) => events.emit('presence', list));

  const signaling = new SignalingClient({
    url: options.ticket.relayUrl,
    ...(options.createSocket ? { createSocket: options.createSocket } : {}),
    getTicket: async () => {
      // The first subscribe uses the ticket the page already holds; every later one a fresh ticket.
      const response = pendingTicket ?? (await options.fetchTicket());
      pendingTicket = null;
      iceServers = response.iceServers as RTCIceServer[];
      return { ticket: response.ticket, topic };
    },
  });

  const mixer = new MixerDoc({
    doc: sync.doc,
    me: { userId: options.me.userId, role: options.me.role },
    roleOf: rolesFromPresence(() => sync.presence()),
  });
  mixer.setMyChannel({ name: options.me.name, instrument: options.me.instrument });
  const net = new AudioNetClient(options.audio.createWorker);
  const audio = new StudioAudio({
    net,
    mixer,
    me: options.me.userId,
    presence: () => sync.presence(),
    assets: options.audio,
    benchmark: options.audio.benchmark === true,
    impairment: options.audio.impairment ?? null,
    forceTrack: options.audio.forceTrack === true,
  });
  // Presence carries the audio paths we can use; it is re-sent whenever they change.
  const advertise = (audioPaths: typeof audio.paths) =>
    sync.setLocalPresence({ ...options.me, peerId, joinedAt, audioPaths });
  advertise(audio.paths);
  audio.events.on('paths', advertise);
  sync.events.on('presence', () => {
    mixer.recheck();
    audio.presenceChanged();
  });

  const mesh = new Mesh({
    localId: peerId,
    signaling,
    createLink: ({ remoteId, initiator, sendSignal }) => {
      let releaseAudio = () => {};
      const link = new PeerLink({
        remoteId,
        initiator,
        iceServers,
        sendSignal,
        // Moved to the audio Worker in the task that created it.
        onAudioChannel: (channel) => (releaseAudio = net.addPeer(remoteId, channel)),
      });
      const releaseTrack = audio.addLink(link);
      // Whether or not it ever opened, a closed link frees its audio slot and its track path.
      link.events.on('close', () => {
        releaseTrack();
        releaseAudio();
      });
      return link;
    },
  });

  signaling.events.on('state', (state) => events.emit('connection', state));
  signaling.events.on('error', (error) => events.emit('error', error));
  signaling.events.on('subscribed', () => mesh.announce());
  signaling.events.on('message', ({ data }) => mesh.handle(data));
  mesh.events.on('peer-open', ({ peerId: remote, link }) => {
    link.events.on('message', (bytes) => sync.receive(remote, bytes));
    sync.attach(remote, link as PeerLink);
  });
  mesh.events.on('peer-close', ({ peerId: remote }) => sync.detach(remote));

  signaling.start();

  let disposed = false;
  return {
    peerId,
    events,
    sync,
    mixer,
    audio,
    presence: () => sync.presence(),
    connectionState: () => signaling.state,
    dispose() {
      if (disposed) return;
      disposed = true;
      // Order matters: say goodbye over the links and the relay before closing them.
      audio.dispose();
      mixer.dispose();
      sync.dispose();
      mesh.dispose();
      signaling.dispose();
      net.dispose();
      events.clear();
    },
  };
}
