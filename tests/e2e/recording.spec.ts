/**
 * Recording end to end (issue 9): a player records a take through the studio page's button, everyone
 * sees who is recording (a player who joins mid-take at once), the take exports as WAV stems with the
 * mix and the session files, and every stem holds its sender's test signal at the right offset; and a
 * take whose page crashed mid-take is offered when the studio is opened again, and recovered.
 *
 * The test signal is Chromium's fake microphone (a 20 ms beep about every 500 ms, silence between);
 * each page's capture worklet notes when a beep entered its graph (bench hooks, `impulses` without a
 * peer id, epoch ms on the machine's one wall clock). Every beep found in an exported stem is paired
 * with its sender's capture of it. Its alignment error is measured against the recording player's own
 * stem (bench/lib/recording-align.mjs): beep at take sample k captured at E, the self stem's nearest beep
 * at k_r captured at E_r → `(k − k_r) / 48 − (E − E_r)` ms. The plain `startEpochMs + k / 48 − E` is
 * printed too, but it also holds how far the take's clock (the recorder's AudioContext) fell behind the
 * wall clock — tens of ms over 20 s on a loaded 2-core machine — which shifts every stem alike and does
 * not misalign them. The beeps' irregular spacing does not matter: each is compared with its own capture.
 */
import { writeFileSync } from 'node:fs';
import { authInitScript } from '../../scripts/lib/pb-rest.mjs';
import type { Pair } from '../../bench/lib/recording-align.mjs';
import { FLUSH_INTERVAL_MS, type TakeManifest } from '../../src/lib/protocol/recording';
import { expect, test } from './fixtures';
import {
  analyseWavStem,
  childBrowserPids,
  drainImpulses,
  exportTake,
  listTakeIds,
  lofOffsets,
  readManifest,
  rendererOf,
  startRecording,
  stopRecording,
  unzip,
} from './recording-support';
import { heardSince, openStudio, peerIdOf, studioWith } from './sfu-support';

const TAKE_MS = 20_000;
const CRASH_AFTER_MS = 10_000;
/**
 * The target is 1 ms: the clock simulation (src/lib/session/recording-alignment.test.ts) holds
 * 0.69 ms and the 10-minute bench measured 0.21 ms. A 20 s take among three pages on two loaded cores
 * spreads a median by about ±1 ms (runs gave −0.1 to −1.35 ms), so this check allows 2 ms: it catches a
 * placement that is wrong (the missing Opus look-ahead was +2.0…+2.5 ms), not the machine's noise.
 */
const ALIGNMENT_MS = 2;

/**
 * One retry, for the alignment check only in effect: on this 2-core machine a remote stem's median moved
 * past 2 ms in 3 of 8 back-to-back runs on 2026-12-08, with either sign (−2.5, +2.8, +5.4 ms) and
 * within the clock estimate's own bound in most, before and after that day's changes alike. A placement
 * defect is systematic (the Opus look-ahead bug put every remote +2.0…+2.5 ms, every run), so it still
 * fails both attempts; bench:recording measures the real figure on a quiet machine.
 */
test.describe.configure({ retries: 1 });

test('a take holds every player aligned, everyone sees who records, and it exports as WAV stems with the mix', async ({
  browser,
  baseURL,
}, testInfo) => {
  test.setTimeout(300_000);
  const { players, slug } = await studioWith(baseURL!, ['Ada', 'Bo', 'Cy'], 'rec');
  const [ada, bo, cy] = players as [(typeof players)[0], (typeof players)[0], (typeof players)[0]];
  const adaPage = await openStudio(browser, baseURL!, ada, slug);
  const boPage = await openStudio(browser, baseURL!, bo, slug);
  const [adaId, boId] = await Promise.all([peerIdOf(adaPage), peerIdOf(boPage)]);
  await expect.poll(() => heardSince(adaPage, 0), { timeout: 20_000 }).toContain(boId);
  await expect.poll(() => heardSince(boPage, 0), { timeout: 20_000 }).toContain(adaId);

  // Ada records through the button; Bo is told who, by name.
  const take = await startRecording(adaPage);
  await expect(adaPage.getByTestId('recording-notice-text')).toHaveText('You are recording');
  await expect(boPage.getByTestId('recording-notice-text')).toHaveText('Ada is recording', {
    timeout: 5_000,
  });

  // Cy joins mid-take: the notice is there as soon as the page is in the studio (the relay's welcome
  // lists who records), before Cy even starts audio. Connecting itself may take a while on 2 cores.
  const cyContext = await browser.newContext({ baseURL });
  await cyContext.addInitScript(authInitScript(cy));
  const cyPage = await cyContext.newPage();
  await cyPage.goto(`/s/${slug}?bench=1`);
  await expect(cyPage.getByTestId('connection-status')).toHaveText(/Connected/, { timeout: 30_000 });
  await expect(cyPage.getByTestId('recording-notice-text')).toHaveText('Ada is recording', {
    timeout: 1_000,
  });
  await cyPage.getByRole('button', { name: 'Start audio' }).click();
  await expect(cyPage.getByTestId('audio-status')).toContainText('On');
  const cyId = await peerIdOf(cyPage);
  await expect.poll(() => heardSince(adaPage, 0), { timeout: 20_000 }).toContain(cyId);

  await adaPage.waitForTimeout(Math.max(0, take.runningAt + TAKE_MS - Date.now()));
  await stopRecording(adaPage);
  await expect(boPage.getByTestId('recording-notice')).toHaveCount(0, { timeout: 10_000 });
  await expect(cyPage.getByTestId('recording-notice')).toHaveCount(0, { timeout: 10_000 });
  const adaImpulses = await drainImpulses(adaPage);
  const captured = {
    Ada: adaImpulses.captured,
    Bo: (await drainImpulses(boPage)).captured,
    Cy: (await drainImpulses(cyPage)).captured,
  };
  // What Ada's speakers played of each peer's beeps: a beep that never reached her (lost on the way or
  // never sent by a starved sender) cannot be in her recording either.
  const heardByAda: Record<'Ada' | 'Bo' | 'Cy', number[] | null> = {
    Ada: null,
    Bo: adaImpulses.heard[boId ?? ''] ?? [],
    Cy: adaImpulses.heard[cyId ?? ''] ?? [],
  };

  // The take as the recorder left it, and as the player exports it: mix and stems, WAV.
  const [takeId, ...others] = await listTakeIds(adaPage);
  expect(others).toEqual([]);
  const manifest = await readManifest(adaPage, takeId!);
  expect(manifest.state).toBe('complete');
  expect(manifest.durationFrames / 48_000).toBeGreaterThan((TAKE_MS - 1_000) / 1000);
  const zip = await exportTake(
    adaPage,
    takeId!,
    { what: /mix and stems/i, format: /wav/i },
    testInfo.outputPath('take.zip'),
  );
  const files = await unzip(zip.bytes);
  console.log(`export ${zip.name}: ${[...files.keys()].join(', ')}`);
  const named = (pattern: RegExp) => [...files.keys()].filter((name) => pattern.test(name));
  expect(named(/\.rpp$/)).toHaveLength(1);
  expect(named(/\.lof$/)).toHaveLength(1);
  expect(named(/manifest\.json$/)).toHaveLength(1);
  const lof = lofOffsets(files.get(named(/\.lof$/)[0]!)!.toString('utf8'));
  // manifest.json is the take's manifest plus, per track, the file it became (every file starts at
  // take sample 0, padded with silence up to the track's start).
  type ExportedTrack = TakeManifest['tracks'][number] & {
    exportFile: string | null;
    exportFrames: number | null;
  };
  const exported = JSON.parse(files.get(named(/manifest\.json$/)[0]!)!.toString('utf8')) as Omit<
    TakeManifest,
    'tracks'
  > & { tracks: ExportedTrack[] };
  expect(exported.id).toBe(takeId);
  expect(exported.startEpochMs).toBe(manifest.startEpochMs);

  // Each player's stem, named `NN name (instrument).wav`, holds that player's beeps where they were
  // captured; the Audacity session places it at 0. Ada's own stem comes first: the take's clock is her
  // AudioContext, and her stem is the reference the others are measured against (recording-align.mjs:
  // that clock loses time against the wall clock on a loaded machine, shifting every stem alike).
  // Everything is printed before anything is asserted.
  const rate = 48_000;
  const trackOf = (name: string) => {
    const track = exported.tracks.find((t) => t.kind !== 'mix' && t.name === name);
    if (!track?.exportFile) throw new Error(`no exported track for ${name}`);
    return track;
  };
  const adaTrack = trackOf('Ada');
  expect(adaTrack.kind).toBe('self');
  const adaStem = analyseWavStem(files.get(adaTrack.exportFile!)!, exported, adaTrack, captured.Ada);
  const reference = adaStem.alignment?.pairs ?? [];
  /** Take sample → wall clock, through the self stem's nearest pair (the take clock as it ran). */
  const epochOf = (k: number) => {
    let r = reference[0];
    for (const p of reference) if (Math.abs(p.sample - k) < Math.abs(r!.sample - k)) r = p;
    return r ? r.captureEpochMs + ((k - r.sample) * 1000) / rate : Number.NaN;
  };
  const stems = (['Ada', 'Bo', 'Cy'] as const).map((name) => {
    const track = trackOf(name);
    const stem =
      name === 'Ada'
        ? adaStem
        : analyseWavStem(files.get(track.exportFile!)!, exported, track, captured[name], reference);
    // The sender's captures inside the stem's span (50 ms clear of its ends) should all be in it.
    const from = epochOf(track.startSample) + 50;
    const to = epochOf(track.startSample + track.frames) - 50;
    const inSpan = captured[name].filter((e) => e >= from && e <= to);
    // For a peer, the beeps Ada heard (played within 400 ms of their capture).
    const heard = heardByAda[name];
    const expected = heard ? inSpan.filter((e) => heard.some((h) => h >= e && h <= e + 400)) : inSpan;
    return { name, track, stem, inSpan, expected };
  });
  writeFileSync(
    testInfo.outputPath('alignment.json'),
    JSON.stringify({ startEpochMs: exported.startEpochMs, captured, stems }, null, 1),
  );
  console.log(
    "alignment per stem (local error = beep − the nearest beep of Ada's own stem, on the take vs at " +
      'capture; absolute = startEpochMs + k / 48 − capture):\n' +
      stems
        .map(({ name, track, stem, inSpan, expected }) => {
          const a = stem.alignment;
          if (!a) return `  ${name}: no alignment (no reference)`;
          return (
            `  ${name} (${track.kind}, aligned ${track.aligned}, ±${track.clockUncertaintyMs?.toFixed(2) ?? '–'} ms, ` +
            `from take sample ${track.startSample}, ${track.frames} frames): ${stem.bursts} beeps, ` +
            `${a.count} matched; ${inSpan.length} captured in its span, ${expected.length} of them heard by Ada; ` +
            `${a.unmatched} beeps matched no capture; ` +
            `local median ${a.medianMs} ms, p95 |${a.p95AbsMs}| ms, max |${a.maxAbsMs}| ms; ` +
            `absolute median ${a.absoluteMedianMs} ms\n    local (ms): ${a.errorsMs.join(' ')}` +
            `\n    absolute (ms): ${a.absoluteErrorsMs.join(' ')}`
          );
        })
        .join('\n'),
  );
  /** Captures neither paired with a beep of the stem nor inside one of its concealed ranges (±25 ms). */
  const missing = (pairs: Pair[], expected: number[], track: ExportedTrack) => {
    const paired = new Set(pairs.map((p) => p.captureEpochMs));
    return expected.filter(
      (e) =>
        !paired.has(e) && !track.concealed.some(([a, b]) => e >= epochOf(a) - 25 && e <= epochOf(b) + 25),
    );
  };
  console.log(
    'concealed per stem: ' +
      stems
        .map(({ name, track }) => {
          const n = track.concealed.reduce((sum, [a, b]) => sum + b - a, 0);
          return `${name} ${n} frames (${((100 * n) / Math.max(1, track.frames)).toFixed(1)} %) in ${track.concealed.length} ranges`;
        })
        .join(', '),
  );
  for (const { name, track, stem, expected } of stems) {
    expect(track.exportFile).toMatch(new RegExp(`^\\d\\d ${name} \\(keys\\)\\.wav$`));
    expect(lof.get(track.exportFile!), `${name}'s offset in the .lof`).toBe(0);
    expect(stem.frames).toBe(track.exportFrames);
    expect(stem.frames).toBe(track.startSample + track.frames);
    const a = stem.alignment!;
    // Every beep the sender captured while in the take (for a peer: that Ada heard) is in its stem, or
    // inside a range the take declares concealed (audio that did not arrive: a dropped tap block, a
    // lost network frame); and the median beep is within 1 ms of where it belongs.
    // One beep per stem may go missing: on 2 loaded cores a player's audio clock steps, and a stem skips
    // a few ms where it catches up (docs/benchmarks.md, "Recording": realigned); more is a defect.
    const lost = missing(stem.alignment!.pairs, expected, track);
    if (lost.length > 0)
      console.log(`${name}: captured beeps missing from the stem at epoch ms ${lost.join(', ')}`);
    expect(lost.length, `${name}: captured beeps lost silently`).toBeLessThanOrEqual(1);
    expect(Math.abs(a.medianMs!), `${name}: median alignment error`).toBeLessThanOrEqual(ALIGNMENT_MS);
  }
  const mixTrack = exported.tracks.find((t) => t.kind === 'mix')!;
  expect(mixTrack.exportFile).toBe('mix.wav');
  const mix = analyseWavStem(files.get('mix.wav')!, exported, mixTrack, null);
  console.log(`mix: ${mix.frames} frames, peak ${mix.peak}, rms ${mix.rms}, ${mix.bursts} beeps`);
  expect(mix.frames).toBe(mixTrack.exportFrames);
  expect(mix.peak).toBeGreaterThan(0.3);
  expect(mix.bursts).toBeGreaterThan(TAKE_MS / 1000);
});

test('a take whose page crashed is offered on reopening and recovered to within a flush', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(180_000);
  const { players, slug } = await studioWith(baseURL!, ['Ada', 'Bo'], 'crash');
  const [ada, bo] = players as [(typeof players)[0], (typeof players)[0]];
  const adaPage = await openStudio(browser, baseURL!, ada, slug);
  const boPage = await openStudio(browser, baseURL!, bo, slug);
  const boId = await peerIdOf(boPage);
  await expect.poll(() => heardSince(adaPage, 0), { timeout: 20_000 }).toContain(boId);

  // Ada records; her tab's renderer process is killed mid-take (a tab crash: no unload handler runs,
  // nothing is stopped; CDP's Page.crash takes this whole headless browser down instead). The studio
  // page, opened again in the same browser context (its storage), offers the unfinished take.
  const [browserPid, ...more] = childBrowserPids(process.pid);
  if (!browserPid || more.length > 0)
    throw new Error(`expected one browser process, found ${[browserPid, ...more]}`);
  const renderer = await rendererOf(adaPage, browserPid);
  const second = await startRecording(adaPage);
  await expect(boPage.getByTestId('recording-notice-text')).toHaveText('Ada is recording', {
    timeout: 5_000,
  });
  await adaPage.waitForTimeout(CRASH_AFTER_MS);
  const crashed = adaPage.waitForEvent('crash');
  const crashedAt = Date.now();
  process.kill(renderer, 'SIGKILL');
  await crashed;
  await expect(boPage.getByTestId('recording-notice')).toHaveCount(0, { timeout: 30_000 });

  const reopened = await adaPage.context().newPage();
  await reopened.goto(`/s/${slug}?bench=1`);
  const offer = reopened.getByTestId('recover-offer');
  await expect(offer).toBeVisible({ timeout: 15_000 });
  await offer.getByTestId('recover-take').click();
  await expect(offer).toHaveCount(0, { timeout: 30_000 });
  const [crashId, ...others] = await listTakeIds(reopened);
  expect(others).toEqual([]);
  expect(crashId, 'the crashed take is still in storage').toBeDefined();
  const recovered = await readManifest(reopened, crashId!);
  // Expected: the time from when the page showed the take running to the crash, as this test saw it,
  // less one flush interval (what the recorder may have held unwritten). The take began at or before
  // `runningAt`, so this is a lower bound on what was recorded and flushed.
  const expectedFrames = ((crashedAt - second.runningAt - FLUSH_INTERVAL_MS) * 48_000) / 1000;
  // …and it cannot hold more than from the click to the kill.
  const ceilingFrames = ((crashedAt - second.clickedAt) * 48_000) / 1000;
  const self = recovered.tracks.find((t) => t.kind === 'self')!;
  console.log(
    `recovered: state ${recovered.state}, ${recovered.durationFrames} frames (self ${self.frames}); ` +
      `expected ≥ ${Math.round(expectedFrames)} (run ${crashedAt - second.runningAt} ms − flush ` +
      `${FLUSH_INTERVAL_MS} ms), at most ${Math.round(ceilingFrames)} (click to crash): ` +
      `${((100 * recovered.durationFrames) / expectedFrames).toFixed(1)} %`,
  );
  expect(recovered.state).toBe('recovered');
  expect(recovered.durationFrames).toBeGreaterThanOrEqual(0.99 * expectedFrames);
  expect(self.startSample + self.frames).toBeGreaterThanOrEqual(0.99 * expectedFrames);
  expect(recovered.durationFrames).toBeLessThanOrEqual(ceilingFrames);
  await expect(reopened.locator(`[data-testid="take"][data-take-id="${crashId}"]`)).toBeVisible();
});
