/**
 * What the recording e2e needs besides the studio pages (sfu-support.ts): the player's export through
 * the takes list, a reference unzip (yauzl) and WAV decoder (node-wav), the Audacity session's offsets,
 * and the stem analysis the benchmark uses (bench/lib/recording-*.mjs).
 */
import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { decode as decodeWavReference } from 'node-wav';
import yauzl from 'yauzl';
import type { Pair } from '../../bench/lib/recording-align.mjs';
import { StemScanner } from '../../bench/lib/recording-signal.mjs';
import { analyseStem } from '../../bench/lib/recording-stems.mjs';
import type { TakeManifest, TakeTrack } from '../../src/lib/protocol/recording';
import { expect } from './fixtures';

export { drainImpulses, startRecording, stopRecording } from '../../bench/lib/recording-ui.mjs';
export { childBrowserPids, rendererOf } from '../../bench/lib/recording-process.mjs';
export { listTakeIds, readManifest } from '../../bench/lib/recording-opfs.mjs';

/**
 * Exports a take from the page's takes list as the player does (Export… → what → format → Export →
 * Download) and returns the zip's bytes.
 */
export async function exportTake(
  page: Page,
  takeId: string,
  options: { what: RegExp; format: RegExp },
  outputPath: string,
): Promise<{ name: string; bytes: Buffer }> {
  const row = page.locator(`[data-testid="take"][data-take-id="${takeId}"]`);
  await row.getByTestId('take-export-open').click();
  const panel = row.getByTestId('take-export');
  await panel.getByRole('radio', { name: options.what }).check();
  await panel.getByRole('radio', { name: options.format }).check();
  await panel.getByTestId('export-run').click();
  const link = panel.getByTestId('export-download');
  await expect(link).toBeVisible({ timeout: 60_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  await download.saveAs(outputPath);
  return { name: download.suggestedFilename(), bytes: await readFile(outputPath) };
}

/** Every file of a zip, by name, read with yauzl (a reader independent of the app's zip writer). */
export function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true, strictFileNames: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('no zip'));
      const files = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(files));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error('no stream'));
          const parts: Buffer[] = [];
          stream.on('data', (part: Buffer) => parts.push(part));
          stream.on('error', reject);
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(parts));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

/** The Audacity list-of-files: `file "<name>" offset <seconds>` per line → samples at `rate`. */
export function lofOffsets(text: string, rate = 48_000): Map<string, number> {
  const offsets = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^file "([^"]+)" offset ([0-9.]+)$/.exec(line.trim());
    if (match) offsets.set(match[1]!, Math.round(Number(match[2]) * rate));
  }
  return offsets;
}

/**
 * One exported stem checked against its sender: decoded by node-wav, scanned for beeps, each beep paired
 * with the sender's captured impulse and its alignment error measured (bench/lib/recording-align.mjs:
 * a remote stem against `reference`, the self stem's pairs). An exported file starts at take sample 0.
 */
export function analyseWavStem(
  bytes: Buffer,
  manifest: TakeManifest,
  track: TakeTrack,
  captured: number[] | null,
  reference: Pair[] | null = null,
) {
  // node-wav reads its argument's whole ArrayBuffer: give it one of its own.
  const decoded = decodeWavReference(new Uint8Array(bytes));
  expect(decoded.sampleRate).toBe(48_000);
  const first = decoded.channelData[0];
  if (!first) throw new Error(`${track.name}: WAV without channels`);
  const scanner = new StemScanner();
  scanner.push(first);
  return analyseStem({
    manifest,
    track,
    scan: scanner.finish(),
    captured,
    reference,
    periodSamples: null,
    fileStart: 0,
  });
}
