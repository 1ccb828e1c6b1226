/**
 * Benchmark and test hooks of the studio page. They exist only in the bench build (`npm run build:bench`,
 * output in bench/build/, served by bench/*.mjs): the page imports this module behind
 * `import.meta.env.MODE === 'bench'`, which Vite folds to false in the production build, so that build
 * holds neither these query switches nor `window.__bandmesh`, and no link a visitor is sent can turn on
 * an impairment or expose the session. tests/integration/production-build.test.ts checks it.
 *
 * Switches (bench build only), all behind `?bench=1`: `impair=loss:P,jitter:MS` drops and delays incoming
 * audio frames; `transport=track` puts every pair on the WebRTC audio track path.
 */
import { parseImpairment } from '$lib/protocol/audio-worker';
import type { StudioSession, StudioSessionOptions } from '$lib/session/studio-session';

type BenchAudioOptions = Pick<StudioSessionOptions['audio'], 'benchmark' | 'impairment' | 'forceTrack'>;

/** The session's benchmark options from the page URL; none without `bench`. */
export function benchAudioOptions(url: URL): BenchAudioOptions {
  const query = url.searchParams;
  if (!query.has('bench')) return {};
  return {
    benchmark: true,
    impairment: parseImpairment(query.get('impair')),
    // Comparisons and tests: every pair on the WebRTC audio track path.
    forceTrack: query.get('transport') === 'track',
  };
}

/** Benchmarks and e2e tests drive the page from outside through `window.__bandmesh`; the app never reads it. */
export function exposeForBenchmark(session: StudioSession, url: URL): void {
  if (!url.searchParams.has('bench')) return;
  const impulses: Array<{ peerId?: string; epochMs: number; contextFrame?: number }> = [];
  session.audio.events.on('impulse', (impulse) => impulses.push(impulse));
  const stages: Array<{ stage: 'sent' | 'received'; peerId?: string; epochMs: number }> = [];
  session.audio.events.on('stage', (stage) => stages.push(stage));
  // Metronome clicks as rendered, on the shared timeline's clock (bench:metronome compares players).
  const clicks: Array<{ beat: number; sharedMs: number; clock: string }> = [];
  session.metronome.player.events.on('click', (click) =>
    clicks.push({ ...click, clock: session.metronome.doc.transport.clock }),
  );
  // Backing-track starts as rendered, on the transport's clock (bench:tracks compares players).
  const trackStarts: Array<{ trackId: string; fromMs: number; sharedMs: number; clock: string }> = [];
  session.backingTrack.player.events.on('started', (start) =>
    trackStarts.push({ ...start, clock: session.backingTrack.doc.transport.clock }),
  );
  Object.assign(window, {
    __bandmesh: {
      // A getter: the relay assigns our peer id after the session starts.
      get peerId() {
        return session.peerId;
      },
      impulses,
      stages,
      diagnostics: () => session.audio.diagnostics(),
      // The relay's mode for the room and our changeover (mesh / to-sfu / sfu / to-mesh).
      route: () => session.route(),
      deviceLatencyMs: () => session.audio.engine?.deviceLatencyMs() ?? null,
      monitorPeak: () => session.audio.engine?.monitorPeak() ?? 0,
      start: (settings: Parameters<typeof session.audio.start>[0]) => session.audio.start(settings),
      state: () => session.audio.state,
      setJitterOverride: (ms: number) => session.audio.engine?.setJitterOverride(ms),
      arrivalTraces: () => session.audio.arrivalTraces(),
      clicks,
      trackStarts,
      backingTrack: () => ({
        transport: session.backingTrack.doc.transport,
        load: session.backingTrack.player.load,
      }),
      metronome: () => ({
        transport: session.metronome.doc.transport,
        // The relay's clock − ours (SFU rooms place the others through it).
        relayClock: session.metronome.clock.relayClock,
        clocks: session.participants.list().map((p) => ({
          userId: p.identity.userId,
          clock: session.metronome.clock.clockOf(p.identity.userId),
        })),
      }),
    },
  });
}
