/**
 * PocketBase's rate limits (BANDMESH_RATE_LIMIT_RULES) for a stack that one machine drives with many
 * browsers from 127.0.0.1: the e2e run and the benchmarks sign up, join and fetch tickets for dozens
 * of players from one address. The limits stay on; the per-address budgets fit that crowd.
 * tests/integration/pocketbase-rate-limits.test.ts checks the production defaults.
 * @returns {Record<string, string>} environment for startStack's `env`
 */
export function crowdRateLimitsEnv() {
  const rules = [
    'auth',
    'signup',
    'join',
    'ticket',
    'preview',
    'invitations',
    'directory',
    'email-invitations',
  ].map((name) => `${name}=1000/60`);
  return { BANDMESH_RATE_LIMIT_RULES: rules.join(',') };
}
