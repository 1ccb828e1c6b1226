import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import RecordButton from './RecordButton.svelte';
import RecordingNotice from './RecordingNotice.svelte';
import RecordingSettings from './RecordingSettings.svelte';
import TakesPanel from './TakesPanel.svelte';
import UploadedTakes from './UploadedTakes.svelte';
import { formatDuration, recordersSentence } from './recording-format';
import { recordersWords, sizeFor } from './recording-words';
import type { TakeItem, TakesActions, UploadedTakeItem } from './types';
import { translatorContext } from '$lib/i18n/context';
import { testTranslator } from '$lib/i18n/test-translator';

const noop = () => undefined;
// The components word their text through the translator the root layout provides.
const context = translatorContext(testTranslator('en'));
const never = () => Promise.reject(new Error('not in this test'));
const actions: TakesActions = {
  rename: never,
  delete: never,
  recover: never,
  tracks: never,
  export: never,
  playback: never,
  upload: null,
};

describe('recording words', () => {
  it('names every recorder, us as "You"', () => {
    expect(recordersSentence([{ name: 'Ada', self: false }])).toBe('Ada is recording');
    expect(recordersSentence([{ name: 'Me', self: true }])).toBe('You are recording');
    expect(
      recordersSentence([
        { name: 'Me', self: true },
        { name: 'Ada', self: false },
        { name: 'Bob', self: false },
      ]),
    ).toBe('You, Ada and Bob are recording');
  });

  it('conjugates the French sentence by who records, and sizes in French units', () => {
    const words = recordersWords(testTranslator('fr'));
    expect(recordersSentence([{ name: 'Ada', self: false }], words)).toBe('Ada enregistre');
    expect(recordersSentence([{ name: 'Me', self: true }], words)).toBe('Vous enregistrez');
    expect(
      recordersSentence(
        [
          { name: 'Ada', self: false },
          { name: 'Bob', self: false },
        ],
        words,
      ),
    ).toBe('Ada et Bob enregistrent');
    expect(sizeFor(testTranslator('fr'), 3.4 * 1024 ** 2)).toBe('3,4 Mo');
    expect(sizeFor(testTranslator('en'), 3.4 * 1024 ** 2)).toBe('3.4 MB');
  });

  it('formats take durations', () => {
    expect(formatDuration(7 * 48_000)).toBe('0:07');
    expect(formatDuration((12 * 60 + 34) * 48_000 + 47_999)).toBe('12:34');
    expect(formatDuration(3723 * 48_000)).toBe('1:02:03');
  });
});

describe('recording components (server-rendered markup)', () => {
  it('the notice lists every recorder and has nothing that hides it', () => {
    const { body } = render(RecordingNotice, {
      context,
      props: {
        recorders: [
          { peerId: 'p1', name: 'Ada', self: false },
          { peerId: 'p2', name: 'Bob', self: false },
        ],
      },
    });
    expect(body).toContain('data-testid="recording-notice"');
    expect(body).toMatch(/data-testid="recording-notice-text"[^>]*>Ada and Bob are recording</);
    expect(body).toContain('role="status"');
    expect(body).not.toContain('<button');
    expect(render(RecordingNotice, { context, props: { recorders: [] } }).body).not.toContain(
      'recording-notice',
    );
  });

  const button = {
    phase: 'idle' as const,
    durationFrames: 0,
    freeBytes: 5 * 1024 ** 3,
    minutesLeft: 300,
    mayRecord: true,
    audioOn: true,
    problem: null,
    lowStorage: false,
    onstart: noop,
    onstop: noop,
  };

  it('the button records, shows time and storage, and says why it cannot', () => {
    let { body } = render(RecordButton, { context, props: button });
    expect(body).toMatch(/data-testid="record-start"[^>]*>● Record</);
    expect(body).toMatch(/5\.0 GB free.*about 300 min of recording/s);
    ({ body } = render(RecordButton, {
      context,
      props: { ...button, phase: 'recording', durationFrames: 65 * 48_000 },
    }));
    expect(body).toMatch(/data-testid="record-stop"[^>]*>■ Stop</);
    expect(body).toMatch(/data-testid="record-elapsed"[^>]*>.*1:05/s);
    ({ body } = render(RecordButton, { context, props: { ...button, mayRecord: false } }));
    expect(body).toMatch(/<button[^>]*disabled[^>]*data-testid="record-start"/);
    expect(body).toContain("The studio's owner does not allow you to record here.");
    ({ body } = render(RecordButton, { context, props: { ...button, admitted: false, mayRecord: false } }));
    expect(body).toContain('Connecting to the studio…');
    ({ body } = render(RecordButton, {
      context,
      props: { ...button, mayRecord: false, notAllowed: 'Switched off.' },
    }));
    expect(body).toMatch(/data-testid="record-hint"[^>]*>Switched off\.</);
    ({ body } = render(RecordButton, { context, props: { ...button, audioOn: false } }));
    expect(body).toContain('Start audio to record.');
    ({ body } = render(RecordButton, {
      context,
      props: { ...button, lowStorage: true, problem: 'Storage ran out.' },
    }));
    expect(body).toContain('data-testid="record-low-storage"');
    expect(body).toMatch(/data-testid="record-problem">Storage ran out\.</);
  });

  const take = (id: string, extra: Partial<TakeItem> = {}): TakeItem => ({
    id,
    name: `Take ${id}`,
    startedAt: '2026-12-07T14:02:00.000Z',
    durationFrames: 90 * 48_000,
    players: ['Ada', 'Bob'],
    bytes: 50 * 1024 ** 2,
    unfinished: false,
    ...extra,
  });

  it('the takes panel offers recovery, lists takes with their facts, and shows storage', () => {
    const { body } = render(TakesPanel, {
      context,
      props: {
        takes: [take('a'), take('b', { unfinished: true })],
        loaded: true,
        storage: { usage: 1024 ** 3, quota: 4 * 1024 ** 3, persisted: true },
        noStem: ['Cat'],
        studioName: 'Blue Notes',
        actions,
        onchanged: noop,
      },
    });
    expect(body).toMatch(/data-testid="recover-offer"[^>]*>\s*An unfinished take from .* was found/);
    expect(body).toContain('data-testid="recover-take"');
    expect([...body.matchAll(/data-testid="take"/g)]).toHaveLength(1);
    expect(body).toMatch(/data-testid="take-facts"[^>]*>.*1:30 · 50 MB</s);
    expect(body).toContain('Ada, Bob');
    expect(body).toMatch(/<meter[^>]*value="0.25"/);
    expect(body).toContain('1.0 GB used · 3.0 GB free');
    expect(body).toMatch(/data-testid="no-stem-note"[^>]*>\s*Cat\s+reaches you as a WebRTC audio track/);
    // Uploading is never offered without an export and a second, explicit click.
    expect(body).not.toContain('upload-open');
  });

  it('the takes panel says when there are none yet', () => {
    const props = { takes: [], storage: null, studioName: 'S', actions, onchanged: noop };
    expect(render(TakesPanel, { context, props: { ...props, loaded: false } }).body).toContain(
      'Looking for takes…',
    );
    expect(render(TakesPanel, { context, props: { ...props, loaded: true } }).body).toContain(
      'data-testid="no-takes"',
    );
  });

  it('the owner chooses who may record; members read it', () => {
    const onchange = () => Promise.resolve();
    let { body } = render(RecordingSettings, {
      context,
      props: { policy: 'engineers', canEdit: true, onchange },
    });
    expect(body).toMatch(/<select/);
    expect(body).toMatch(/<option value="engineers"[^>]*selected/);
    ({ body } = render(RecordingSettings, {
      context,
      props: { policy: 'nobody', canEdit: false, onchange },
    }));
    expect(body).not.toMatch(/<select/);
    expect(body).toMatch(/data-testid="recording-policy">Recording allowed: nobody/);
  });
});

describe('UploadedTakes', () => {
  const item = (id: string, over: Partial<UploadedTakeItem> = {}): UploadedTakeItem => ({
    id,
    name: `Take ${id}`,
    kind: 'mix',
    durationFrames: 90 * 48_000,
    bytes: 2 * 1024 ** 2,
    uploaderId: 'ada',
    uploaderName: 'Ada',
    created: '2026-12-07 15:00:00.000Z',
    fileName: `${id}.wav`,
    playable: true,
    ...over,
  });
  const props = {
    items: [
      item('m1'),
      item('z1', { kind: 'stems', fileName: 'z1.zip', playable: false, uploaderId: 'bob' }),
    ],
    loaded: true,
    error: null,
    permissions: { userId: 'ada', isOwner: false },
    onPlay: () => Promise.resolve(null),
    onDownload: () => Promise.resolve(null),
    onDelete: () => Promise.resolve(false),
  };
  const rows = (body: string) => body.split('data-testid="uploaded-take"').slice(1);

  it('says when it loads, when there is nothing and what went wrong', () => {
    expect(render(UploadedTakes, { context, props: { ...props, loaded: false } }).body).toContain(
      'Loading uploaded takes…',
    );
    expect(render(UploadedTakes, { context, props: { ...props, items: [] } }).body).toContain(
      'No takes uploaded yet.',
    );
    expect(
      render(UploadedTakes, { context, props: { ...props, error: 'The takes could not be loaded.' } }).body,
    ).toMatch(/role="alert">The takes could not be loaded\.</);
  });

  it('offers Play for a playable mix only, Delete to the uploader and the owner', () => {
    let [mix, stems] = rows(render(UploadedTakes, { context, props }).body);
    expect(mix).toContain('uploaded-play');
    expect(mix).toContain('uploaded-delete');
    expect(mix).toMatch(/Ada · .* · 1:30 · 2\.0 MB/s);
    expect(stems).toContain('stems (zip)');
    expect(stems).not.toContain('uploaded-play');
    expect(stems).not.toContain('uploaded-delete');
    expect(stems).toContain('uploaded-download');
    [mix, stems] = rows(
      render(UploadedTakes, { context, props: { ...props, permissions: { userId: 'eve', isOwner: true } } })
        .body,
    );
    expect(mix).toContain('uploaded-delete');
    expect(stems).toContain('uploaded-delete');
  });
});
