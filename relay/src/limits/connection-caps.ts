/**
 * How many WebSocket connections the relay holds, in total and per remote address. A slot is taken
 * when a connection is accepted and given back exactly once when it closes (the returned release
 * function is idempotent), so the counts cannot drift under churn.
 *
 * Addresses are only counted, never logged or exposed.
 */
/**
 * The key an address is counted under: IPv4 as is (also when IPv4-mapped), IPv6 by its /64 prefix,
 * because one IPv6 host usually holds a whole /64 and could otherwise open the cap per address.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (g === '' ? '0' : g.toLowerCase().replace(/^0+(?=.)/, '')))
    .join(':')}::/64`;
}

export interface ConnectionCapsOptions {
  maxConnections: number;
  maxConnectionsPerIp: number;
}

export type CapVerdict = { ok: true; release: () => void } | { ok: false; reason: 'total' | 'per-ip' };

export class ConnectionCaps {
  readonly #maxTotal: number;
  readonly #maxPerIp: number;
  readonly #perIp = new Map<string, number>();
  #total = 0;

  constructor(options: ConnectionCapsOptions) {
    this.#maxTotal = options.maxConnections;
    this.#maxPerIp = options.maxConnectionsPerIp;
  }

  get total(): number {
    return this.#total;
  }

  /** Takes a slot for `address` (undefined when the socket is already gone: counted as one key). */
  acquire(address: string | undefined): CapVerdict {
    const key = addressKey(address);
    const held = this.#perIp.get(key) ?? 0;
    if (this.#total >= this.#maxTotal) return { ok: false, reason: 'total' };
    if (held >= this.#maxPerIp) return { ok: false, reason: 'per-ip' };
    this.#total += 1;
    this.#perIp.set(key, held + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#total -= 1;
        const left = (this.#perIp.get(key) ?? 1) - 1;
        if (left <= 0) this.#perIp.delete(key);
        else this.#perIp.set(key, left);
      },
    };
  }
}
