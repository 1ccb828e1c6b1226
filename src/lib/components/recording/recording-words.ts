/** The recording formatters' words taken from the reader's translator, so components share one wording. */
import type { Translator } from '$lib/i18n/context';
import { formatBytes, type RecordersWords } from './recording-format';

/** A size in the reader's numbers and units ("3,4 Mo"). */
export function sizeFor(i18n: Translator, bytes: number): string {
  return formatBytes(bytes, i18n.locale, {
    kB: i18n.t('recording.units.kB'),
    MB: i18n.t('recording.units.MB'),
    GB: i18n.t('recording.units.GB'),
  });
}

export function recordersWords(i18n: Translator): RecordersWords {
  return {
    you: i18n.t('recording.you'),
    and: i18n.t('recording.and'),
    sentence: (list, form) =>
      i18n.t(
        form === 'one'
          ? 'recording.isRecording'
          : form === 'many'
            ? 'recording.areRecording'
            : 'recording.youAreRecording',
        { list },
      ),
  };
}
