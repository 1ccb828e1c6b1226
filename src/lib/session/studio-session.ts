/**
 * createStudioSession(): the composition root of one studio visit. It owns the relay connection, the
 * relay-attested roster, the mesh of peer links, the shared document and the per-participant records,
 * wires them together, and tears all of it down in dispose() (once; later calls do nothing). Nothing
 * here is global: two sessions can coexist.
 *
 * Trust (ADR 0008): who is in the room, and with which user id, role, name and Yjs client id, comes
 * only from the relay (Roster). The mesh links only to roster peers, StudioSync accepts a peer's
 * writes only over that peer's link, and the mixer attributes writes through the roster.
 */
import { AudioNetClient } from '../audio/audio-net-client';
import { Mesh } from '../net/mesh';
import { PeerLink } from '../net/peer-link';
import { Roster } from '../net/roster';
import { SignalingClient, type SignalingState, type SocketLike } from '../net/signaling-client';
import type { AttestedPeer } from '../protocol/attested';
import type { Impairment } from '../protocol/audio-worker';
import { studioTopic, type TicketResponse } from '../protocol/ticket';
import { MixerDoc } from '../sync/mixer-doc';
import { presentPeers, type AudioPresence, type PresentPeer } from '../sync/presence';
import { StudioSync, type SyncProblemCode } from '../sync/studio-sync';
import { Emitter } from '../util/emitter';
import { Participants } from './participants';
import { StudioAudio, type AudioAssets } from './studio-audio';

export interface StudioSessionEvents extends Record<string, unknown> {
  presence: PresentPeer[];
  connection: { state: SignalingState; detail?: string };
  error: { code: string; message: string; fatal: boolean };
  /** Something a peer sent over the mesh was refused or could not be decoded (not fatal). */
  problem: { peerId: string; name: string | null; code: SyncProblemCode; message: string };
}

export interface StudioSessionOptions {
  /** The ticket that let the page in; its relay URL and ICE servers are used from the start. */
  ticket: TicketResponse;
  /** Fetches a fresh ticket (each relay reconnect needs one). */
  fetchTicket(): Promise<TicketResponse>;
  /** This player as PocketBase knows it (the relay attests the same from the ticket). */
  me: { userId: string; name: string; instrument: string };
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
  /** Our relay-assigned peer id; null until the relay admitted us. */
  readonly peerId: string | null;
  readonly events: Emitter<StudioSessionEvents>;
  readonly sync: StudioSync;
  readonly mixer: MixerDoc;
  readonly audio: StudioAudio;
  readonly participants: Participants;
  presence(): PresentPeer[];
  connectionState(): SignalingState;
  dispose(): void;
}

const authorOf = (peer: AttestedPeer | undefined) => (peer ? { userId: peer.userId, role: peer.role } : null);

export function createStudioSession(options: StudioSessionOptions): StudioSession {
  const events = new Emitter<StudioSessionEvents>();
  const topic = studioTopic(options.ticket.studioId);
  let iceServers = options.ticket.iceServers as RTCIceServer[];
  let pendingTicket: TicketResponse | null = options.ticket;

  const roster = new Roster();
  const sync = new StudioSync({
    authority: {
      clientOf: (peerId) => roster.get(peerId)?.client,
      isLiveClient: (client) => roster.isLiveClient(client),
      isKnownClient: (client) => roster.byClient(client) !== undefined,
    },
  });
  const participants = new Participants({ roster });

  const signaling = new SignalingClient({
    url: options.ticket.relayUrl,
    clientId: sync.clientId,
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
    me: { userId: options.me.userId, role: options.ticket.role },
    authorOf: (client) => authorOf(roster.byClient(client)),
  });
  mixer.setMyChannel({ name: options.me.name, instrument: options.me.instrument });
  const net = new AudioNetClient(options.audio.createWorker);
  const audio = new StudioAudio({
    net,
    mixer,
    me: options.me.userId,
    participants,
    assets: options.audio,
    benchmark: options.audio.benchmark === true,
    impairment: options.audio.impairment ?? null,
    forceTrack: options.audio.forceTrack === true,
  });

  // Presence carries only facts about our own audio; it is re-sent whenever they change.
  const localAudio = (): AudioPresence => ({ audioPaths: audio.paths, audioOn: audio.state.kind === 'on' });
  const advertise = () => sync.setLocalAudio(localAudio());
  advertise();
  audio.events.on('paths', advertise);
  audio.events.on('state', advertise);

  const presence = (): PresentPeer[] =>
    presentPeers({
      self: roster.self,
      peers: roster.peers(),
      audioOf: (client) => sync.audioOf(client),
      connected: (peerId) => sync.heard(peerId),
      selfAudio: localAudio(),
    });
  const presenceChanged = () => {
    for (const peer of roster.peers()) {
      const advertised = sync.heard(peer.peerId) ? sync.audioOf(peer.client) : null;
      participants.setAdvertised(
        peer.peerId,
        advertised ? { paths: advertised.audioPaths, on: advertised.audioOn } : null,
      );
    }
    events.emit('presence', presence());
  };
  sync.events.on('presence', presenceChanged);
  sync.events.on('problem', (problem) => {
    const name = roster.get(problem.peerId)?.name ?? null;
    console.warn('studio sync', problem.code, problem.message);
    events.emit('problem', { ...problem, name });
  });

  const mesh = new Mesh({
    signaling,
    createLink: ({ remoteId, initiator, sendSignal }) => {
      let releaseAudio = () => {};
      const link = new PeerLink({
        remoteId,
        initiator,
        iceServers,
        sendSignal,
        // Moved to the audio Worker in the task that created it.
        onAudioChannel: (channel) => (releaseAudio = net.addTransport(remoteId, channel)),
      });
      const releaseTrack = audio.addLink(link);
      // Whether or not it ever opened, a closed link frees its audio transport and its track path
      // (the audio slot belongs to the participant and is freed when the roster says it left).
      link.events.on('close', () => {
        releaseTrack();
        releaseAudio();
      });
      return link;
    },
  });

  roster.events.on('reset', ({ self }) => mixer.setMe({ userId: self.userId, role: self.role }));
  roster.events.on('updated', ({ peer }) => {
    if (peer.peerId === roster.self?.peerId) mixer.setMe({ userId: peer.userId, role: peer.role });
    else mixer.recheck();
    presenceChanged();
  });
  roster.events.on('joined', presenceChanged);
  roster.events.on('left', ({ peer, reason }) => {
    mesh.leave(peer.peerId, reason);
    presenceChanged();
  });

  signaling.events.on('state', (state) => events.emit('connection', state));
  signaling.events.on('error', (error) => events.emit('error', error));
  signaling.events.on('subscribed', ({ self, peers, past }) => {
    roster.reset(self, peers, past);
    mesh.reset(
      self.peerId,
      roster.peers().map((p) => p.peerId),
    );
    presenceChanged();
  });
  signaling.events.on('peer-joined', (peer) => {
    roster.join(peer);
    if (roster.get(peer.peerId)?.userId === peer.userId) mesh.join(peer.peerId);
  });
  signaling.events.on('peer-updated', (peer) => roster.update(peer));
  signaling.events.on('peer-left', ({ peerId, reason }) => roster.leave(peerId, reason));
  signaling.events.on('message', ({ from, data }) => mesh.handle(from.peerId, data));
  mesh.events.on('peer-open', ({ peerId: remote, link }) => {
    link.events.on('message', (bytes) => sync.receive(remote, bytes));
    sync.attach(remote, link as PeerLink);
    participants.setLink(remote, link as PeerLink);
  });
  mesh.events.on('link-timeout', ({ peerId: remote }) =>
    console.warn(
      'studio mesh: no connection to',
      roster.get(remote)?.name ?? 'a player',
      'after 20 s; retrying',
    ),
  );
  mesh.events.on('peer-close', ({ peerId: remote }) => {
    sync.detach(remote);
    participants.setLink(remote, null);
  });

  signaling.start();

  let disposed = false;
  return {
    get peerId() {
      return roster.self?.peerId ?? null;
    },
    events,
    sync,
    mixer,
    audio,
    participants,
    presence,
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
      participants.dispose();
      roster.dispose();
      net.dispose();
      events.clear();
    },
  };
}
