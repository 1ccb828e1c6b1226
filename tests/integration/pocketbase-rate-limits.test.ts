import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runPocketBaseToExit,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
} from '../support/pocketbase';

/**
 * PocketBase's rate limits, on by default (pocketbase/internal/ratelimits). Each default rule is
 * driven to its limit from one address; other addresses (127.0.0.2, 127.0.0.3: all of 127/8 is
 * loopback) and other routes keep working. The numbers are the documented defaults (docs/pocketbase.md).
 */
const DEFAULTS = [
  { label: '*:auth', maxRequests: 30, duration: 60 },
  { label: 'users:create', maxRequests: 20, duration: 60 },
  { label: '*:requestPasswordReset', maxRequests: 5, duration: 300 },
  { label: '*:requestVerification', maxRequests: 5, duration: 300 },
  { label: '*:requestEmailChange', maxRequests: 5, duration: 300 },
  { label: 'bandmesh_join', maxRequests: 30, duration: 60 },
  { label: 'bandmesh_ticket', maxRequests: 60, duration: 60 },
  { label: 'bandmesh_preview', maxRequests: 120, duration: 60 },
  { label: '/api/bandmesh/invitations/', maxRequests: 60, duration: 60 },
  { label: 'GET /api/bandmesh/directory', maxRequests: 120, duration: 60 },
  { label: 'bandmesh_email_invitations', maxRequests: 10, duration: 600 },
] as const;

interface Answer {
  status: number;
  body: { message?: string };
  retryAfter: string | undefined;
}

/** One request from a chosen loopback address (fetch cannot pick its source address). */
function call(
  url: string,
  options: { method: string; from: string; body?: unknown; headers?: Record<string, string> },
): Promise<Answer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method,
        localAddress: options.from,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...options.headers },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => {
          const retry = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            body: text.startsWith('{') ? (JSON.parse(text) as Answer['body']) : {},
            retryAfter: Array.isArray(retry) ? retry[0] : retry,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Calls `max` times (none may be 429), then once more, which must be. */
async function driveToLimit(
  max: number,
  send: (i: number) => Promise<Answer>,
): Promise<{ allowed: number[]; refused: Answer }> {
  const allowed: number[] = [];
  for (let i = 0; i < max; i++) allowed.push((await send(i)).status);
  return { allowed, refused: await send(max) };
}

function expectClearRefusal(answer: Answer): void {
  expect(answer.status).toBe(429);
  expect(answer.body.message).toMatch(
    /^Too many requests from your network in a short time\. Please wait .+ and try again\.$/,
  );
  expect(Number(answer.retryAfter)).toBeGreaterThan(0);
}

describe('rate limits with the defaults', () => {
  let server: RunningPocketBase;
  let api: string;

  beforeAll(async () => {
    server = await startPocketBase();
    api = `${server.url}/api`;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('are on, with the documented rules, in the superuser settings API', async () => {
    const su = await superuserClient(server.url);
    const settings = (await su.settings.getAll()) as {
      rateLimits: { enabled: boolean; rules: { label: string; maxRequests: number; duration: number }[] };
    };
    expect(settings.rateLimits.enabled).toBe(true);
    expect(
      settings.rateLimits.rules.map(({ label, maxRequests, duration }) => ({ label, maxRequests, duration })),
    ).toEqual(DEFAULTS);
  });

  it('sign-in: 30 password attempts a minute per address, then 429; another address still signs in', async () => {
    const user = await signUp(server.url, 'Guesser');
    const attempt = (from: string, password: string) =>
      call(`${api}/collections/users/auth-with-password`, {
        method: 'POST',
        from,
        body: { identity: user.email, password },
      });
    const { allowed, refused } = await driveToLimit(30, (i) => attempt('127.0.0.2', `wrong-${i}`));
    expect(new Set(allowed)).toEqual(new Set([400]));
    expectClearRefusal(refused);
    // Even the right password waits: the limit is on attempts, not on failures.
    expect((await attempt('127.0.0.2', user.password)).status).toBe(429);
    expect((await attempt('127.0.0.3', user.password)).status).toBe(200);
  });

  it('sign-in cannot dodge the limit with a forged X-Forwarded-For (no trusted proxy is configured)', async () => {
    const { refused } = await driveToLimit(30, (i) =>
      call(`${api}/collections/users/auth-with-password`, {
        method: 'POST',
        from: '127.0.0.4',
        headers: { 'x-forwarded-for': `203.0.113.${i}`, 'x-real-ip': `198.51.100.${i}` },
        body: { identity: 'nobody@bandmesh.test', password: 'whatever-password' },
      }),
    );
    expectClearRefusal(refused);
  });

  it('sign-up: 20 a minute per address', async () => {
    const { allowed, refused } = await driveToLimit(20, (i) =>
      call(`${api}/collections/users/records`, {
        method: 'POST',
        from: '127.0.0.5',
        body: {
          email: `mass-${i}@bandmesh.test`,
          password: 'correct-horse-battery',
          passwordConfirm: 'correct-horse-battery',
          name: 'Mass',
        },
      }),
    );
    expect(new Set(allowed)).toEqual(new Set([200]));
    expectClearRefusal(refused);
  });

  it.each([
    ['request-password-reset', '127.0.0.6'],
    ['request-verification', '127.0.0.7'],
  ])('%s: 5 mails per 5 minutes per address', async (route, from) => {
    const { allowed, refused } = await driveToLimit(5, () =>
      call(`${api}/collections/users/${route}`, {
        method: 'POST',
        from,
        body: { email: 'victim@bandmesh.test' },
      }),
    );
    expect(new Set(allowed)).toEqual(new Set([204]));
    expectClearRefusal(refused);
    expect(refused.retryAfter).toBe('300');
    // PocketBase's own limiter does not say when its window ends: the window is the upper bound.
    expect(refused.body.message).toContain('Please wait up to 5 minutes and try again.');
  });

  it.each([
    ['POST', '/bandmesh/studios/some-studio/join', 30, '127.0.0.8'],
    ['POST', '/bandmesh/studios/some-studio/ticket', 60, '127.0.0.9'],
    ['GET', '/bandmesh/studios/some-studio/preview', 120, '127.0.0.10'],
    ['GET', '/bandmesh/invitations/some-token', 60, '127.0.0.11'],
  ] as const)(
    '%s %s: %i a minute per address; the other routes and addresses keep working',
    async (method, path, max, from) => {
      // Different studios share the budget: forging slugs does not buy more calls.
      const { allowed, refused } = await driveToLimit(max, (i) =>
        call(`${api}${path.replace('some-studio', `studio-${i}`)}`, { method, from }),
      );
      expect(allowed).not.toContain(429);
      expectClearRefusal(refused);
      expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
      if (path.startsWith('/bandmesh/studios/'))
        expect(refused.body.message).toContain(`Please wait ${refused.retryAfter} seconds and try again.`);
      expect((await call(`${api}${path}`, { method, from: '127.0.0.12' })).status).not.toBe(429);
      expect((await call(`${api}/health`, { method: 'GET', from })).status).toBe(200);
    },
  );

  it('does not count a superuser', async () => {
    const su = await superuserClient(server.url);
    const headers = { authorization: su.authStore.token };
    for (let i = 0; i < 35; i++) {
      const answer = await call(`${api}/bandmesh/studios/x/join`, {
        method: 'POST',
        from: '127.0.0.13',
        headers,
      });
      expect(answer.status).not.toBe(429);
    }
  });
});

describe('rate limits from the environment', () => {
  it('BANDMESH_RATE_LIMIT_RULES overrides one rule; BANDMESH_RATE_LIMITS=off turns them all off', async () => {
    const tight = await startPocketBase({ env: { BANDMESH_RATE_LIMIT_RULES: 'join=2/60' } });
    try {
      const { refused } = await driveToLimit(2, () =>
        call(`${tight.url}/api/bandmesh/studios/s/join`, { method: 'POST', from: '127.0.0.1' }),
      );
      expectClearRefusal(refused);
    } finally {
      await tight.stop();
    }
    const off = await startPocketBase({ env: { BANDMESH_RATE_LIMITS: 'off' } });
    try {
      const su = await superuserClient(off.url);
      expect(((await su.settings.getAll()) as { rateLimits: { enabled: boolean } }).rateLimits.enabled).toBe(
        false,
      );
      for (let i = 0; i < 40; i++) {
        const answer = await call(`${off.url}/api/bandmesh/studios/s/join`, {
          method: 'POST',
          from: '127.0.0.1',
        });
        expect(answer.status).toBe(401);
      }
    } finally {
      await off.stop();
    }
  });

  it('refuses to start on a rule it does not know, saying which ones it does', () => {
    const { code, output } = runPocketBaseToExit(['serve', '--http=127.0.0.1:0'], {
      BANDMESH_RATE_LIMIT_RULES: 'logins=5/60',
    });
    expect(code).toBe(2);
    expect(output).toContain(
      'no rule named "logins" (rules: auth, directory, email-change, email-invitations, invitations, join, password-reset, preview, signup, ticket, verification)',
    );
  });
});
