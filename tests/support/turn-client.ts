/**
 * Just enough of a TURN client (RFC 8656 over UDP, long-term credentials) to ask a real coturn what it
 * allows: Allocate and CreatePermission, answered with success (0) or the STUN error code (401, 403…).
 * For tests of the server's configuration; browsers are the real clients.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

const COOKIE = 0x2112a442;
const ATTR = {
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  realm: 0x0014,
  nonce: 0x0015,
  xorPeerAddress: 0x0012,
  requestedTransport: 0x0019,
} as const;
const METHOD = { allocate: 0x0003, createPermission: 0x0008 } as const;

interface Response {
  /** 0 on a success response, else the ERROR-CODE's number. */
  code: number;
  attributes: Map<number, Buffer>;
}

export class TurnTestClient {
  readonly #socket: Socket = createSocket('udp4');
  #realm = '';
  #nonce = '';
  #key: Buffer | null = null;
  #username = '';

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  /**
   * Allocates a UDP relay with these credentials: the unauthenticated first request learns the realm
   * and nonce (its 401 is expected), the second is signed. Resolves 0 or the error code.
   */
  async allocate(username: string, password: string): Promise<number> {
    const transport = Buffer.from([17, 0, 0, 0]); // UDP
    const first = await this.#request(METHOD.allocate, [[ATTR.requestedTransport, transport]], false);
    if (first.code !== 401) return first.code;
    this.#realm = first.attributes.get(ATTR.realm)?.toString() ?? '';
    this.#nonce = first.attributes.get(ATTR.nonce)?.toString() ?? '';
    this.#username = username;
    this.#key = createHash('md5').update(`${username}:${this.#realm}:${password}`).digest();
    return (await this.#request(METHOD.allocate, [[ATTR.requestedTransport, transport]], true)).code;
  }

  /** Asks to let traffic from `peerIp` through the allocation: 0, or e.g. 403 for a forbidden address. */
  async createPermission(peerIp: string): Promise<number> {
    const address = Buffer.alloc(8);
    address.writeUInt8(0x01, 1); // IPv4
    address.writeUInt16BE(0x2112 ^ 9, 2); // any port: permissions are per address
    const octets = peerIp.split('.').map(Number);
    address.writeUInt32BE((Buffer.from(octets).readUInt32BE(0) ^ COOKIE) >>> 0, 4);
    return (await this.#request(METHOD.createPermission, [[ATTR.xorPeerAddress, address]], true)).code;
  }

  close(): void {
    this.#socket.close();
  }

  async #request(method: number, attributes: Array<[number, Buffer]>, signed: boolean): Promise<Response> {
    const id = randomBytes(12);
    const parts: Array<[number, Buffer]> = [...attributes];
    if (signed) {
      parts.push([ATTR.username, Buffer.from(this.#username)]);
      parts.push([ATTR.realm, Buffer.from(this.#realm)]);
      parts.push([ATTR.nonce, Buffer.from(this.#nonce)]);
    }
    let body = Buffer.concat(parts.map(([type, value]) => attribute(type, value)));
    if (signed && this.#key) {
      // MESSAGE-INTEGRITY covers the header with its length already counting the 24-byte attribute.
      const covered = Buffer.concat([header(method, body.length + 24, id), body]);
      const mac = createHmac('sha1', this.#key).update(covered).digest();
      body = Buffer.concat([body, attribute(ATTR.messageIntegrity, mac)]);
    }
    const message = Buffer.concat([header(method, body.length, id), body]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#socket.off('message', onMessage);
        reject(new Error(`no TURN response from ${this.host}:${this.port} within 3 s`));
      }, 3000);
      const onMessage = (reply: Buffer) => {
        if (reply.length < 20 || !reply.subarray(8, 20).equals(id)) return;
        clearTimeout(timer);
        this.#socket.off('message', onMessage);
        resolve(parse(reply));
      };
      this.#socket.on('message', onMessage);
      this.#socket.send(message, this.port, this.host);
    });
  }
}

function header(method: number, length: number, id: Buffer): Buffer {
  const out = Buffer.alloc(20);
  out.writeUInt16BE(method, 0);
  out.writeUInt16BE(length, 2);
  out.writeUInt32BE(COOKIE, 4);
  id.copy(out, 8);
  return out;
}

function attribute(type: number, value: Buffer): Buffer {
  const out = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(value.length, 2);
  value.copy(out, 4);
  return out;
}

function parse(message: Buffer): Response {
  const type = message.readUInt16BE(0);
  const attributes = new Map<number, Buffer>();
  for (let at = 20; at + 4 <= message.length;) {
    const kind = message.readUInt16BE(at);
    const length = message.readUInt16BE(at + 2);
    attributes.set(kind, message.subarray(at + 4, at + 4 + length));
    at += 4 + Math.ceil(length / 4) * 4;
  }
  // Class bits 0x0110: 0x0100 is a success response, 0x0110 an error response.
  if ((type & 0x0110) !== 0x0110) return { code: 0, attributes };
  const error = attributes.get(ATTR.errorCode);
  return { code: error ? (error[2]! & 0x07) * 100 + error[3]! : -1, attributes };
}
