/**
 * A bounded "are you there?" to the Secret Service over the D-Bus session bus. The keyring
 * binding's calls are synchronous and have no timeout: a bus that accepts the connection and
 * never answers (a stopped or frozen bus, or keyring daemon behind it) blocks the whole process
 * for good, with nothing printed. This asks first, on its own connection, with a deadline.
 *
 * One write: the EXTERNAL authentication, BEGIN, Hello and a Peer.Ping to
 * org.freedesktop.secrets (the D-Bus specification lets a client send BEGIN and its first
 * messages without waiting for the server's OK). Any reply to the Ping, an error included,
 * means something answers; what it says is left to the keyring call that follows.
 */
import { Buffer } from 'node:buffer';

/** `silent`: no answer in time. `unknown`: no way to ask (another kind of address) or no connection. */
export type PingResult = 'answered' | 'silent' | 'unknown';

const HELLO_SERIAL = 1;
const PING_SERIAL = 2;
const REPLY_SERIAL_FIELD = 5;
const METHOD_RETURN = 2;
const ERROR = 3;

/** Asks the Secret Service behind the session bus at `address`, giving up after `timeoutMs`. */
export function pingSecretService(address: string, timeoutMs: number): Promise<PingResult> {
  const socketPath = firstUnixSocket(address);
  if (socketPath === undefined) return Promise.resolve('unknown');
  // loaded here only: the keyring's callers pay for it, never a `get` from the file store
  const net = process.getBuiltinModule('node:net');
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    let authenticated = false;
    // onread: the bytes straight to a callback, without the readable stream's machinery (less
    // for Node to compile on a `get` that reads from the keyring)
    const socket = net.connect({ path: socketPath, onread: { buffer: Buffer.alloc(4096), callback: heard } });
    /** Ends the ping; false, for onread: read no more. */
    const done = (result: PingResult): false => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
      return false;
    };
    const timer = setTimeout(() => void done('silent'), timeoutMs);
    socket.on('error', () => void done('unknown'));
    socket.on('close', () => void done('unknown'));
    socket.on('connect', () => {
      const uid = String(process.getuid?.() ?? 0);
      socket.write(
        Buffer.concat([
          Buffer.from(`\0AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\nBEGIN\r\n`, 'latin1'),
          methodCall(HELLO_SERIAL, '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'Hello', 'org.freedesktop.DBus'),
          methodCall(
            PING_SERIAL,
            '/org/freedesktop/secrets',
            'org.freedesktop.DBus.Peer',
            'Ping',
            'org.freedesktop.secrets',
          ),
        ]),
      );
    });
    function heard(n: number, chunk: Uint8Array): boolean {
      got = Buffer.concat([got, chunk.subarray(0, n)]);
      if (!authenticated) {
        const end = got.indexOf('\r\n');
        if (end < 0) return true;
        // REJECTED and the like: the bus answers; the keyring call will say what is wrong
        if (!got.subarray(0, end).toString('latin1').startsWith('OK ')) return done('answered');
        authenticated = true;
        got = got.subarray(end + 2);
      }
      for (let m = nextMessage(got); m; m = nextMessage(got)) {
        if (m.replyTo === PING_SERIAL) return done('answered');
        got = got.subarray(m.length);
      }
      return true;
    }
  });
}

/** The socket of the first `unix:path=` or `unix:abstract=` address in a D-Bus address list. */
export function firstUnixSocket(address: string): string | undefined {
  for (const one of address.split(';')) {
    if (!one.startsWith('unix:')) continue;
    for (const kv of one.slice(5).split(',')) {
      const [key, value] = [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)];
      if (key === 'path') return unescape(value);
      if (key === 'abstract') return `\0${unescape(value)}`;
    }
  }
  return undefined;
}

function unescape(value: string): string {
  try {
    return decodeURIComponent(value); // D-Bus escapes addresses as URIs do
  } catch {
    return value;
  }
}

/** A method call without arguments, little-endian (D-Bus specification, "Message Format"). */
function methodCall(serial: number, objectPath: string, iface: string, member: string, destination: string): Buffer {
  const fields: Buffer[] = [];
  let length = 0;
  for (const [code, sig, value] of [
    [1, 'o', objectPath],
    [2, 's', iface],
    [3, 's', member],
    [6, 's', destination],
  ] as const) {
    // each field is a struct (8-aligned): code, signature, then the string (its length 4-aligned)
    const pad = (8 - ((16 + length) % 8)) % 8;
    const text = Buffer.from(value, 'latin1');
    const field = Buffer.alloc(pad + 8 + text.length + 1);
    field.writeUInt8(code, pad);
    field.write(`\x01${sig}\0`, pad + 1, 'latin1');
    field.writeUInt32LE(text.length, pad + 4);
    text.copy(field, pad + 8);
    fields.push(field);
    length += field.length;
  }
  const head = Buffer.alloc(16);
  head.write('l', 0, 'latin1');
  head.writeUInt8(1, 1); // METHOD_CALL
  head.writeUInt8(1, 3); // protocol version
  head.writeUInt32LE(serial, 8);
  head.writeUInt32LE(length, 12);
  return Buffer.concat([head, ...fields, Buffer.alloc((8 - ((16 + length) % 8)) % 8)]);
}

/** The first whole message in `buf`: its length, and the serial it replies to (replies and errors only). */
function nextMessage(buf: Buffer): { length: number; replyTo?: number } | undefined {
  if (buf.length < 16) return undefined;
  const le = buf[0] === 0x6c;
  const u32 = (at: number) => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const fieldsEnd = 16 + u32(12);
  const length = align(fieldsEnd, 8) + u32(4);
  if (buf.length < length) return undefined;
  if (buf[1] !== METHOD_RETURN && buf[1] !== ERROR) return { length };
  for (let at = 16; at < fieldsEnd;) {
    at = align(at, 8);
    const code = buf[at]!;
    const sig = String.fromCharCode(buf[at + 2]!);
    at += 3 + buf[at + 1]!;
    if (sig === 'u') {
      if (code === REPLY_SERIAL_FIELD) return { length, replyTo: u32(align(at, 4)) };
      at = align(at, 4) + 4;
    } else if (sig === 's' || sig === 'o') at = align(at, 4) + 4 + u32(align(at, 4)) + 1;
    else if (sig === 'g') at += 1 + buf[at]! + 1;
    else break; // not a header field type: stop reading this header
  }
  return { length };
}

function align(at: number, to: number): number {
  return Math.ceil(at / to) * to;
}
