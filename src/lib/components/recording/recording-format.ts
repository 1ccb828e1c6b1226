/** Words and numbers for the recording components (kept out of the markup so they are tested alone). */
/** Takes are recorded at 48 kHz (protocol/recording.ts RECORDING_SAMPLE_RATE). */
const RATE = 48_000;

export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(0, Math.round(bytes / 1024))} kB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

/** Free bytes from usage and quota; null when either is unknown. */
export function freeBytes(storage: { usage: number | null; quota: number | null }): number | null {
  return storage.usage === null || storage.quota === null ? null : Math.max(0, storage.quota - storage.usage);
}

/** "You are recording", "Ada is recording", "Ada and Bob are recording", "You, Ada and Bob are recording". */
export function recordersSentence(recorders: Array<{ name: string; self: boolean }>): string {
  const names = recorders.map((r) => (r.self ? 'You' : r.name));
  if (names.length === 0) return '';
  const list = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
  const plural = names.length > 1 || recorders[0]!.self;
  return `${list} ${plural ? 'are' : 'is'} recording`;
}

/** 0:07, 12:34, 1:02:03. */
export function formatDuration(frames: number, rate = RATE): string {
  const total = Math.max(0, Math.floor(frames / rate));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}
