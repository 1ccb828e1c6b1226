/**
 * Minimal PocketBase REST calls for benchmarks and tests that need many players quickly (the UI
 * sign-up is exercised by its own e2e test). Node built-ins only.
 */
let counter = 0;

/**
 * @param {string} baseUrl
 * @param {string} path
 * @param {{ method?: string, token?: string, body?: unknown }} [options]
 */
async function call(baseUrl, path, { method = 'GET', token, body } = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

/**
 * Creates a user and logs in.
 * @param {string} baseUrl
 * @param {{ name: string, instrument?: string }} player
 * @returns {Promise<{ token: string, record: Record<string, unknown> & { id: string }, email: string }>}
 */
export async function signUpUser(baseUrl, { name, instrument = '' }) {
  const email = `${name.toLowerCase().replace(/\W+/g, '')}-${Date.now().toString(36)}-${counter++}@example.test`;
  const password = 'correct horse battery';
  await call(baseUrl, '/api/collections/users/records', {
    method: 'POST',
    body: { email, password, passwordConfirm: password, name, instruments: instrument ? [instrument] : [] },
  });
  const auth = await call(baseUrl, '/api/collections/users/auth-with-password', {
    method: 'POST',
    body: { identity: email, password },
  });
  return { token: auth.token, record: auth.record, email };
}

/**
 * @param {string} baseUrl
 * @param {{ token: string, record: { id: string } }} owner
 * @param {{ name: string, slug: string, visibility?: string, maxPlayers?: number }} studio
 */
export function createStudio(baseUrl, owner, studio) {
  // Public by default: only a public studio keeps the slug asked for (unlisted and private ones get
  // a random ending from the server; pass `visibility` and use the returned record's `slug`).
  return call(baseUrl, '/api/collections/studios/records', {
    method: 'POST',
    token: owner.token,
    body: { visibility: 'public', maxPlayers: 24, description: '', ...studio, owner: owner.record.id },
  });
}

/**
 * @param {string} baseUrl
 * @param {{ token: string }} player
 * @param {string} slug
 */
export function joinStudio(baseUrl, player, slug) {
  return call(baseUrl, `/api/bandmesh/studios/${encodeURIComponent(slug)}/join`, {
    method: 'POST',
    token: player.token,
  });
}

/**
 * The script that signs a browser context in, as the PocketBase SDK's LocalAuthStore would have.
 * @param {{ token: string, record: unknown }} player
 */
export function authInitScript(player) {
  return `localStorage.setItem('pocketbase_auth', ${JSON.stringify(JSON.stringify({ token: player.token, record: player.record }))});`;
}
