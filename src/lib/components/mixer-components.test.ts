import { createRawSnippet } from 'svelte';
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import { translatorContext } from '$lib/i18n/context';
import { testTranslator } from '$lib/i18n/test-translator';
import ChannelStrip from './ChannelStrip.svelte';
import LatencyBadge from './LatencyBadge.svelte';
import MixerPanel from './MixerPanel.svelte';
import PresenceList from './PresenceList.svelte';

const strip = {
  userId: 'bob',
  name: 'Bob',
  instrument: 'bass',
  colour: '#aabbcc',
  gain: -6,
  pan: -0.4,
  mute: true,
  solo: false,
  latencyMs: 31,
};
const noop = () => undefined;
// The components word their labels through the translator the root layout provides.
const context = translatorContext(testTranslator('en'));

describe('mixer components (server-rendered markup)', () => {
  it('renders a channel strip with labelled ranges, pressed states and a latency badge', () => {
    const { body } = render(ChannelStrip, {
      context,
      props: {
        strip,
        level: { peak: 0.5, rms: 0.25 },
        ongain: noop,
        onpan: noop,
        onmute: noop,
        onsolo: noop,
      },
    });
    expect(body).toContain('data-testid="channel-strip"');
    expect(body).toMatch(/<label[^>]*>Bob gain<\/label>/);
    expect(body).toContain('aria-valuetext="−6.0 dB"');
    expect(body).toContain('aria-valuetext="Left 40%"');
    expect(body).toMatch(/class="secondary mute[^"]*" aria-pressed="true"/);
    expect(body).toMatch(/class="secondary solo[^"]*" aria-pressed="false"/);
    expect(body).toContain('data-testid="meter"');
    expect(body).toMatch(/data-level="fair"[\s\S]*?31 ms[\s\S]*?one-way delay, noticeable/);
  });

  it('shows a stopped player as stopped: no latency badge, "Audio off" instead', () => {
    const props = { level: null, ongain: noop, onpan: noop, onmute: noop, onsolo: noop };
    const { body } = render(ChannelStrip, {
      context,
      props: { ...props, strip: { ...strip, audioOff: true } },
    });
    expect(body).toContain('data-testid="audio-off"');
    expect(body).not.toContain('data-testid="latency-badge"');
  });

  it('says a strip is muted, soloed or left out of another’s solo, beyond the pressed M and S', () => {
    const props = { level: { peak: 0.5, rms: 0.25 }, ongain: noop, onpan: noop, onmute: noop, onsolo: noop };
    const state = (body: string) => /data-testid="strip-state"[^>]*>([^<]*)</.exec(body)?.[1] ?? null;
    const muted = render(ChannelStrip, { context, props: { ...props, strip } }).body;
    expect(state(muted)).toBe('Muted');
    expect(muted).toMatch(/class="strip[^"]*\bis-muted\b/);
    // Mute wins over solo, as in the worklet's mix.
    expect(
      state(render(ChannelStrip, { context, props: { ...props, strip: { ...strip, solo: true } } }).body),
    ).toBe('Muted');
    const soloed = render(ChannelStrip, {
      context,
      props: { ...props, strip: { ...strip, mute: false, solo: true } },
    });
    expect(state(soloed.body)).toBe('Solo');
    expect(soloed.body).toMatch(/class="strip[^"]*\bsoloed\b/);
    const plain = { ...strip, mute: false };
    expect(state(render(ChannelStrip, { context, props: { ...props, strip: plain } }).body)).toBe('');

    // In a mixer with one strip soloed, the others say why they are silent.
    const { body } = render(MixerPanel, {
      context,
      props: {
        strips: [plain, { ...plain, userId: 'cy', name: 'Cy', solo: true }],
        levelOf: () => null,
        monitor: 0,
        master: 0,
        ongain: noop,
        onpan: noop,
        onmute: noop,
        onsolo: noop,
        onmonitor: noop,
        onmaster: noop,
      },
    });
    const states = [...body.matchAll(/data-testid="strip-state"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(states).toEqual(['Not in solo', 'Solo']);
  });

  it('names each player’s audio path, and says when their audio is off', () => {
    const player = { key: 'k', name: 'Bob', instrument: 'bass', role: 'member', self: false };
    const { body } = render(PresenceList, {
      context,
      props: {
        players: [
          { ...player, key: 'a', path: 'opus', route: 'relay' as const },
          { ...player, key: 'b', path: 'off', route: 'direct' as const },
          { ...player, key: 'c', path: 'pcm', route: 'turn' as const },
          { ...player, key: 'd', path: 'track', route: 'direct' as const },
        ],
      },
    });
    expect(body).toMatch(/data-testid="audio-path">Opus over data channel</);
    expect(body).toMatch(/data-testid="audio-path">audio off</);
    // The network path in words, for players whose audio plays.
    expect([...body.matchAll(/data-testid="audio-route"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual([
      'via relay',
      'via TURN',
      'direct',
    ]);
  });

  it('shows a dash for an unknown latency', () => {
    const { body } = render(LatencyBadge, { context, props: { ms: null } });
    expect(body).toMatch(/data-level="unknown"[\s\S]*?—[\s\S]*?delay not measured yet/);
  });

  it('lays out strips, monitor, master and the last refusal', () => {
    const { body } = render(MixerPanel, {
      context,
      props: {
        strips: [strip, { ...strip, userId: 'cat', name: 'Cat' }],
        levelOf: () => null,
        monitor: -6,
        master: 0,
        refusal: 'Not yours.',
        ongain: noop,
        onpan: noop,
        onmute: noop,
        onsolo: noop,
        onmonitor: noop,
        onmaster: noop,
      },
    });
    expect(body.match(/data-testid="channel-strip"/g)).toHaveLength(2);
    expect(body).toContain('Own monitor level');
    expect(body).toContain('Not yours.');
  });

  it('speaks French to a French reader: headings, strip names, gains and pans', () => {
    const { body } = render(MixerPanel, {
      context: translatorContext(testTranslator('fr')),
      props: {
        strips: [strip],
        levelOf: () => null,
        monitor: -6,
        master: 0,
        ongain: noop,
        onpan: noop,
        onmute: noop,
        onsolo: noop,
        onmonitor: noop,
        onmaster: noop,
      },
    });
    expect(body).toContain('Votre mix');
    expect(body).toMatch(/<label[^>]*>Gain de Bob<\/label>/);
    expect(body).toContain('aria-valuetext="−6,0 dB"');
    expect(body).toContain('aria-valuetext="Gauche 40 %"');
    expect(body).toContain('Muet');
    expect(body).not.toContain('Your mix');
  });

  it('lays out a band of 24: one card per player, each holding its strip, yours holding your input', () => {
    const players = Array.from({ length: 24 }, (_, i) => ({
      key: `peer-${i}`,
      userId: `u${i}`,
      name: `Player ${i}`,
      instrument: 'guitar',
      role: 'member',
      self: i === 0,
      latencyMs: i === 0 ? undefined : 10 + i * 3,
      path: i === 0 ? null : 'opus',
    }));
    const strips = players.slice(1).map((p) => ({ ...strip, userId: p.userId, name: p.name, mute: false }));
    const { body } = render(MixerPanel, {
      context,
      props: {
        players,
        strips,
        levelOf: () => ({ peak: 0.3, rms: 0.1 }),
        monitor: 0,
        master: 0,
        you: createRawSnippet(() => ({ render: () => '<div data-testid="your-input">mine</div>' })),
        ongain: noop,
        onpan: noop,
        onmute: noop,
        onsolo: noop,
        onmonitor: noop,
        onmaster: noop,
      },
    });
    const cards = body.split('data-testid="present-player"').slice(1);
    expect(cards).toHaveLength(24);
    // Your card: your input, no strip of your own, no delay LED (there is no delay to yourself).
    expect(cards[0]).toContain('data-self="true"');
    expect(cards[0]).toContain('data-testid="your-input"');
    expect(cards[0]).not.toContain('data-testid="channel-strip"');
    expect(cards[0]).not.toContain('data-testid="latency-badge"');
    // Every other card: its own strip (labelled with its own name), an LED, and its name shown once.
    for (const [i, card] of cards.slice(1).entries()) {
      const name = `Player ${i + 1}`;
      expect(card.match(/data-testid="channel-strip"/g)).toHaveLength(1);
      expect(card).toContain(`data-user="u${i + 1}"`);
      expect(card).toMatch(new RegExp(`<label[^>]*>${name} gain</label>`));
      expect(card).toContain(`aria-label="Mute ${name}"`);
      expect(card).toContain('data-testid="latency-badge"');
      expect(card.match(new RegExp(`>${name}<`, 'g'))).toHaveLength(1);
    }
    expect(body).not.toContain('Nobody else is here yet.');
  });

  it('shows another player’s mix: their card has no strip, yours has one', () => {
    const players = [
      { key: 'a', userId: 'ada', name: 'Ada', instrument: 'bass', role: 'owner', self: true },
      { key: 'c', userId: 'cy', name: 'Cy', instrument: 'keys', role: 'member', self: false, latencyMs: 12 },
    ];
    const { body } = render(MixerPanel, {
      context,
      props: {
        players,
        strips: [{ ...strip, userId: 'ada', name: 'Ada' }],
        listener: 'cy',
        listenerName: 'Cy',
        levelOf: () => null,
        monitor: 0,
        master: 0,
        ongain: noop,
        onpan: noop,
        onmute: noop,
        onsolo: noop,
        onmonitor: noop,
        onmaster: noop,
      },
    });
    const [ada, cy] = body.split('data-testid="present-player"').slice(1);
    expect(body).toContain("Cy's mix");
    expect(ada).toContain('data-user="ada"');
    expect(cy).not.toContain('data-testid="channel-strip"');
    expect(cy).toContain('This is Cy’s mix');
  });

  it('shows your card (and so Start audio) before the relay lists you, and only once after', () => {
    const me = { key: 'me', userId: 'ada', name: 'Ada', instrument: 'bass', role: 'owner', self: true };
    const props = {
      strips: [],
      levelOf: () => null,
      monitor: 0,
      master: 0,
      me,
      you: createRawSnippet(() => ({ render: () => '<div data-testid="your-input">mine</div>' })),
      ongain: noop,
      onpan: noop,
      onmute: noop,
      onsolo: noop,
      onmonitor: noop,
      onmaster: noop,
    };
    const before = render(MixerPanel, { context, props: { ...props, players: [] } }).body;
    expect(before.match(/data-testid="present-player"/g)).toHaveLength(1);
    expect(before).toContain('data-testid="your-input"');
    const admitted = { ...me, key: 'peer-1' };
    const after = render(MixerPanel, { context, props: { ...props, players: [admitted] } }).body;
    expect(after.match(/data-testid="present-player"/g)).toHaveLength(1);
    expect(after.match(/data-testid="your-input"/g)).toHaveLength(1);
  });
});
