/**
 * createStudioSession(): the composition root of one studio visit. It owns the relay connection, the
 * relay-attested roster, the mesh of peer links, the shared document and the per-participant records,
 * wires them together, and tears all of it down in dispose() (once; later calls do nothing). Nothing
 * here is global: two sessions can coexist.
 *
 * Trust (ADR 0008): who is in the room, and with which user id, role, name and Yjs client id, comes
 * only from the relay (Roster). The mesh links only to roster peers, StudioSync accepts a peer's
 * writes only over that peer's link (its direct link, or relay messages the relay stamped with it),
 * and the mixer attributes writes through the roster.
 *
 * Paths (docs/architecture.md, "Mesh and SFU"): the relay says whether the room's audio goes peer to
 * peer or through its SFU (`room-route`); RoomRoute changes over without a dropout, SfuLink is our
 * connection to the SFU, SfuKeys agrees the keys SFU frames are sealed with, SyncRoutes carries Yjs
 * over a direct link or the relay, and RouteRequests asks for the SFU when a pair cannot connect.
 * Signaling publishes are told apart by their `type`: e2ee → SfuKeys, sync → RelaySync, signal → Mesh.
 */
import { AudioNetClient } from '../audio/audio-net-client';
import { Mesh } from '../net/mesh';
import { PeerLink } from '../net/peer-link';
import { RelaySync } from '../net/relay-link';
import { Roster } from '../net/roster';
import { SfuKeys } from '../net/sfu-keys';
import { SfuLink, type SfuLinkState } from '../net/sfu-link';
import { SignalingClient, type SignalingState, type SocketLike } from '../net/signaling-client';
import type { AttestedPeer } from '../protocol/attested';
import { ErrorCode } from '../protocol/errors';
import type { RoomMode } from '../protocol/sfu';
import type { Impairment, SfuStats } from '../protocol/audio-worker';
import { studioTopic, type TicketResponse } from '../protocol/ticket';
import { MixerDoc } from '../sync/mixer-doc';
import { presentPeers, type AudioPresence, type PresentPeer } from '../sync/presence';
import { StudioSync, type SyncProblemCode } from '../sync/studio-sync';
import { Emitter } from '../util/emitter';
import { networkPathOf } from './network-path';
import { Participants, type NetworkPath } from './participants';
import { RoomRoute, type RoutePhase } from './room-route';
import { RouteRequests } from './route-requests';
import { StudioAudio, type AudioAssets } from './studio-audio';
import { createStudioChat, type StudioChat } from './studio-chat';
import { relayClockMoved, type UserClock } from './shared-clock';
import { createStudioMetronome, type StudioMetronome } from './studio-metronome';
import { createStudioBackingTrack, type StudioBackingTrack } from './studio-backing-track';
import { SyncRoutes } from './sync-routes';
import { UndecryptableWatch } from './undecryptable-watch';
import { ExportClient } from '../recording/export-client';
import { RecorderClient } from '../recording/recorder-client';
import { RecordingSession } from './recording-session';

export interface StudioSessionEvents extends Record<string, unknown> {
  presence: PresentPeer[];
  connection: { state: SignalingState; detail?: string };
  error: { code: string; message: string; fatal: boolean };
  /** Something a peer sent over the mesh was refused or could not be decoded (not fatal). */
  problem: { peerId: string; name: string | null; code: SyncProblemCode; message: string };
  /** The relay says a participant (perhaps us) started or stopped recording; `roster` has it too. */
  recording: { peerId: string; on: boolean };
  /** Whether the relay lets us record changed (studio setting, role); also after every (re)subscribe. */
  'may-record': boolean;
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
  /** The studio as takes name it (its id comes from the ticket). */
  studio?: { slug: string; name: string };
  /** Downloads a backing track's file (members only; pb/backing-tracks.ts). */
  downloadBackingTrack?: (trackId: string) => Promise<ArrayBuffer>;
}

export interface StudioSession {
  /** Our relay-assigned peer id; null until the relay admitted us. */
  readonly peerId: string | null;
  readonly events: Emitter<StudioSessionEvents>;
  readonly sync: StudioSync;
  readonly mixer: MixerDoc;
  /** Tempo, timeline and our click (studio-metronome.ts). */
  readonly metronome: StudioMetronome;
  /** The studio chat (studio-chat.ts). */
  readonly chat: StudioChat;
  /** The backing track's transport and our playback of it (studio-backing-track.ts). */
  readonly backingTrack: StudioBackingTrack;
  readonly audio: StudioAudio;
  readonly participants: Participants;
  /** Recording in this visit: takes, who records, our permission (recording-session.ts). */
  readonly recording: RecordingSession;
  /**
   * Who is in the room as the relay attests it; each entry (and `self`) carries `recording`, set only
   * by the relay. Read-only for callers: the session feeds it.
   */
  readonly roster: Roster;
  /** Whether the relay lets us record now (our ticket's `rec`, or a later change of the setting). */
  mayRecord(): boolean;
  /** Tells the relay we record (or stopped); false when not connected. See SignalingClient.setRecording. */
  setRecording(on: boolean): boolean;
  presence(): PresentPeer[];
  connectionState(): SignalingState;
  /**
   * The relay's mode for the room (null before it said), where our changeover stands, and our SFU
   * connection: its state (null: none) and the Worker's SFU counters (diagnostics).
   */
  route(): {
    mode: RoomMode | null;
    phase: RoutePhase;
    sfu: { link: SfuLinkState | null; stats: SfuStats | null };
  };
  /** The network path a user's audio takes to us (the best of its visits); null while none carries it. */
  networkOf(userId: string): NetworkPath | null;
  dispose(): void;
}

/** Reasons our own side closes mesh links for (not evidence that a pair cannot connect). */
const OWN_CLOSES = new Set(['sfu', 'inactive', 'leaving', 'left', 'gone', 'rejoined', 'signal-lost']);
/** Preference when a user has several visits: a nearer path wins. */
const NETWORK_RANK: Record<NetworkPath, number> = { direct: 0, turn: 1, relay: 2 };

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
      // The relay the ticket names: a room placed on another relay (its relay died) moves there.
      return { ticket: response.ticket, topic, url: response.relayUrl };
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

  const metronome = createStudioMetronome({
    sync,
    roster,
    net,
    audio,
    me: { userId: options.me.userId, role: options.ticket.role },
  });
  const chat = createStudioChat({ sync, roster, me: { ...options.me, role: options.ticket.role } });
  const backingTrack = createStudioBackingTrack({
    studioId: options.ticket.studioId,
    sync,
    roster,
    audio,
    metronome,
    mixer,
    me: { userId: options.me.userId, role: options.ticket.role },
    download: options.downloadBackingTrack ?? null,
  });

  // Presence carries only facts about our own audio; it is re-sent whenever they change.
  const localAudio = (): AudioPresence => {
    const relayClock = metronome.clock.relayClock;
    return {
      audioPaths: audio.paths,
      audioOn: audio.state.kind === 'on',
      ...(relayClock ? { relayClock } : {}),
    };
  };
  const advertise = () => sync.setLocalAudio(localAudio());
  advertise();
  audio.events.on('paths', advertise);
  audio.events.on('state', advertise);
  // Our offset to the relay (SFU rooms) is re-sent when it moves by more than it can matter.
  let advertisedRelay: UserClock | null = null;
  net.events.on('stats', () => {
    const now = metronome.clock.relayClock;
    if (!relayClockMoved(advertisedRelay, now)) return;
    advertisedRelay = now;
    advertise();
  });

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

  // Yjs and presence through the relay for pairs without a direct link (an SFU room, a blocked pair).
  const relaySync = new RelaySync({
    publish: (data, to) => signaling.publish(data, to),
    audience: () => roster.peers().length,
  });
  const syncRoutes = new SyncRoutes({ sync, relay: relaySync });
  relaySync.events.on('message', ({ peerId, bytes }) => {
    if (!roster.get(peerId)) return;
    syncRoutes.useRelay(peerId); // it reached us through the relay: answer the same way
    sync.receive(peerId, bytes);
  });
  relaySync.events.on('malformed', ({ peerId }) =>
    events.emit('problem', {
      peerId,
      name: roster.get(peerId)?.name ?? null,
      code: 'malformed',
      message: 'Studio data relayed from this player could not be read.',
    }),
  );

  // Keys for the frames that go through the SFU: sealed by the sender, opened only by the room.
  const sfuKeys = new SfuKeys({ topic, publish: (data, to) => signaling.publish(data, to) });
  sfuKeys.events.on('send-key', (key) => net.setSfuSendKey(key));
  sfuKeys.events.on('peer-key', ({ peerId, ...key }) => net.setSfuSourceKey(peerId, key));
  sfuKeys.events.on('problem', ({ code, peerId, detail }) => console.warn('sfu keys', code, peerId, detail));
  // A peer's frames we cannot open for a second: its wrapped key was lost, ask again (throttled).
  const undecryptable = new UndecryptableWatch((peerId) => sfuKeys.requestKey(peerId));

  // Our one connection to the relay's SFU, while the room needs it.
  let sfuLink: SfuLink | null = null;
  const openSfu = () => {
    if (sfuLink) return;
    sfuLink = new SfuLink({
      iceServers: () => iceServers,
      sendSignal: (signal) => signaling.sendSfuSignal(signal),
      // Moved to the audio Worker in the task that created it (see PeerLink's audio channel).
      onChannel: (channel) => net.addSfuTransport(channel),
    });
  };
  const closeSfu = () => {
    sfuLink?.dispose();
    sfuLink = null;
  };

  const routeRequests = new RouteRequests({ request: (unreachable) => signaling.requestRoute(unreachable) });
  /** Open mesh links by peer, for their ICE route ('direct' or through TURN). */
  const openLinks = new Map<string, PeerLink>();
  const iceRoutes = new Map<string, 'direct' | 'turn'>();

  const mesh = new Mesh({
    signaling,
    // Off until the relay says the room is on the mesh: a newcomer to a room on the SFU forms none.
    active: false,
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

  const roomRoute = new RoomRoute({
    mesh,
    sfu: { open: openSfu, close: closeSfu },
    keepSfuLink: true,
    audio: {
      setSfuSources: (sources) => net.setSfuSources(sources),
      setSfuSending: (enabled) => net.setSfuSending(enabled),
    },
  });
  roomRoute.events.on('phase', (phase) => {
    // On the SFU every pair syncs through the relay (the mesh links go once the audio changed over).
    if (phase === 'sfu' || phase === 'to-sfu')
      for (const peer of roster.peers()) syncRoutes.useRelay(peer.peerId);
    updateNetworkPaths();
  });

  /** Which path each participant's audio takes to us, from the frames of the last stats sample. */
  const networkOf = (peerId: string): NetworkPath | null =>
    networkPathOf({
      deltas: roomRoute.deltasOf(peerId),
      mode: roomRoute.mode,
      link: mesh.isOpen(peerId) ? { iceRoute: iceRoutes.get(peerId) ?? null } : null,
      route: participants.get(peerId)?.route ?? null,
    });
  const updateNetworkPaths = () => {
    for (const p of participants.list()) {
      participants.setNetwork(p.identity.peerId, networkOf(p.identity.peerId));
    }
  };
  let statsTick = 0;
  let sfuStats: SfuStats | null = null;
  net.events.on('stats', ({ sources, sfu }) => {
    sfuStats = sfu;
    roomRoute.stats(sources);
    undecryptable.stats(sources);
    // ICE routes change rarely (a pair moving to TURN): read them every few seconds.
    if (statsTick++ % 3 === 0) {
      for (const [peerId, link] of openLinks) {
        link
          .iceRoute()
          .then((route) => {
            if (route && openLinks.get(peerId) === link) iceRoutes.set(peerId, route);
          })
          .catch(() => undefined); // the link closed meanwhile
      }
    }
    updateNetworkPaths();
  });

  roster.events.on('reset', ({ self }) => {
    mixer.setMe({ userId: self.userId, role: self.role });
    sfuKeys.reset(
      self.peerId,
      roster.peers().map((p) => p.peerId),
    );
  });
  roster.events.on('updated', ({ peer }) => {
    if (peer.peerId === roster.self?.peerId) mixer.setMe({ userId: peer.userId, role: peer.role });
    else mixer.recheck();
    presenceChanged();
  });
  roster.events.on('joined', (peer) => {
    sfuKeys.join(peer.peerId);
    if (roomRoute.mode === 'sfu') syncRoutes.useRelay(peer.peerId);
    presenceChanged();
  });
  roster.events.on('left', ({ peer, reason }) => {
    // Sync first: nothing more is sent to a peer that left (a resync would reach no one).
    syncRoutes.remove(peer.peerId);
    mesh.leave(peer.peerId, reason);
    routeRequests.left(peer.peerId);
    sfuKeys.leave(peer.peerId);
    presenceChanged();
  });

  signaling.events.on('state', (state) => events.emit('connection', state));
  signaling.events.on('error', (error) => {
    // The relay's word on our SFU connection (it closed, it did not open): SfuLink retries while the
    // room needs it, and the relay also reports the close of a connection we ended ourselves.
    if (error.code === ErrorCode.SfuUnavailable) {
      console.warn('relay SFU:', error.message);
      sfuLink?.retry(); // only an attempt that has not opened yet is given up
      return;
    }
    // Refused recording: the Recording panel says why (not a studio-wide error).
    if (error.code === ErrorCode.RecordingNotAllowed) {
      recording.relayRefused(error.message);
      return;
    }
    events.emit('error', error);
  });
  signaling.events.on('subscribed', ({ self, peers, past }) => {
    roster.reset(self, peers, past);
    mesh.reset(
      self.peerId,
      roster.peers().map((p) => p.peerId),
    );
    roomRoute.subscribed();
    routeRequests.subscribed();
    // Our old SFU connection went with the old socket on the relay's side: negotiate a new one.
    sfuLink?.restart();
    presenceChanged();
  });
  signaling.events.on('room-route', (route) => roomRoute.route(route));
  signaling.events.on('sfu-signal', (signal) => sfuLink?.handleSignal(signal));
  signaling.events.on('peer-joined', (peer) => {
    roster.join(peer);
    if (roster.get(peer.peerId)?.userId === peer.userId) mesh.join(peer.peerId);
  });
  signaling.events.on('peer-updated', (peer) => roster.update(peer));
  signaling.events.on('peer-left', ({ peerId, reason }) => roster.leave(peerId, reason));
  signaling.events.on('peer-recording', ({ peerId, on }) => {
    roster.setRecording(peerId, on);
    events.emit('recording', { peerId, on });
  });
  signaling.events.on('may-record', (allowed) => events.emit('may-record', allowed));
  signaling.events.on('message', ({ from, data }) => {
    if (sfuKeys.handle(from.peerId, data)) return;
    if (relaySync.handle(from.peerId, data)) return;
    mesh.handle(from.peerId, data);
  });
  mesh.events.on('peer-open', ({ peerId: remote, link }) => {
    const peerLink = link as PeerLink;
    link.events.on('message', (bytes) => sync.receive(remote, bytes));
    openLinks.set(remote, peerLink);
    syncRoutes.setDirect(remote, peerLink);
    participants.setLink(remote, peerLink);
    routeRequests.connected(remote);
  });
  mesh.events.on('link-timeout', ({ peerId: remote }) =>
    console.warn('studio mesh: no connection to', roster.get(remote)?.name ?? 'a player', 'after 20 s'),
  );
  // A link that never opened (timed out, or ICE gave up with TURN included): the pair is unreachable.
  mesh.events.on('link-failed', ({ peerId: remote }) => {
    if (!roster.get(remote)) return;
    // Studio state goes through the relay meanwhile; the room's audio through the SFU once asked.
    syncRoutes.useRelay(remote);
    if (roomRoute.mode === 'mesh') routeRequests.timedOut(remote);
  });
  mesh.events.on('peer-close', ({ peerId: remote, reason }) => {
    openLinks.delete(remote);
    iceRoutes.delete(remote);
    syncRoutes.setDirect(remote, null);
    participants.setLink(remote, null);
    if (roomRoute.mode === 'mesh' && roster.get(remote) && !OWN_CLOSES.has(reason)) {
      routeRequests.broke(remote);
    }
  });

  // Recording (issue 9): the relay attests who records; the recorder Worker owns the takes.
  const recording = new RecordingSession({
    recorder: new RecorderClient(),
    createExporter: () => new ExportClient(),
    audio,
    participants,
    roster,
    mayRecord: () => signaling.mayRecord,
    setRecording: (on) => signaling.setRecording(on),
    studio: {
      id: options.ticket.studioId,
      slug: options.studio?.slug ?? '',
      name: options.studio?.name ?? '',
    },
  });
  signaling.events.on('may-record', (allowed) => recording.relayPermission(allowed));

  signaling.start();

  let disposed = false;
  return {
    get peerId() {
      return roster.self?.peerId ?? null;
    },
    events,
    sync,
    mixer,
    metronome,
    chat,
    backingTrack,
    audio,
    participants,
    recording,
    roster,
    mayRecord: () => signaling.mayRecord,
    setRecording: (on) => signaling.setRecording(on),
    presence,
    connectionState: () => signaling.state,
    route: () => ({
      mode: roomRoute.mode,
      phase: roomRoute.phase,
      sfu: { link: sfuLink?.state ?? null, stats: sfuStats },
    }),
    networkOf(userId) {
      let best: NetworkPath | null = null;
      for (const p of participants.byUser(userId)) {
        if (p.network && (best === null || NETWORK_RANK[p.network] < NETWORK_RANK[best])) best = p.network;
      }
      return best;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      // Order matters: say goodbye over the links and the relay before closing them. A take ends first
      // (the relay hears "stopped" while the socket is still open).
      recording.dispose();
      backingTrack.dispose();
      metronome.dispose();
      chat.dispose();
      audio.dispose();
      mixer.dispose();
      sync.dispose();
      roomRoute.dispose();
      syncRoutes.dispose();
      relaySync.dispose();
      sfuKeys.dispose();
      closeSfu();
      mesh.dispose();
      signaling.dispose();
      participants.dispose();
      roster.dispose();
      net.dispose();
      events.clear();
    },
  };
}
