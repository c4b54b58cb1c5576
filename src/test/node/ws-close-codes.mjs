// npm ws against Herald's WebSocket limits, each case on its own connection, all at once: the close
// code and reason the client library reports, and the first frame the client really put on the wire
// (read back from its socket), so that a case proves what it sent: one unfragmented text frame over
// the limit, a text frame whose payload is not UTF-8. Exits 0 when every case has closed (or given up
// after 8 s), 2 on its deadline.
//
// usage: HERALD_TOKEN=… HERALD_BAD_TOKEN=… node ws-close-codes.mjs <ws url> <max message bytes>
import WebSocket from 'ws';
import { deadline, emit, finish, required } from './report.mjs';

const USAGE = 'HERALD_TOKEN=… HERALD_BAD_TOKEN=… node ws-close-codes.mjs <ws url> <max message bytes>';
const token = required('HERALD_TOKEN', USAGE);
const badToken = required('HERALD_BAD_TOKEN', USAGE);
const [url, maxArg] = process.argv.slice(2);
const max = Number(maxArg);
if (!url || !(max > 0)) {
  emit({ kind: 'usage', message: USAGE });
  process.exit(64);
}
deadline(20);

const withToken = (t) => `${url}?access_token=${encodeURIComponent(t)}`;
const pad = (n) => 'x'.repeat(n);

const cases = [
  // One text frame over herald.ws.max-message-bytes, from an authenticated connection.
  { name: 'too-big', url: withToken(token), send: (s) => s.send(JSON.stringify({ op: 'ping', pad: pad(max + 1024) })) },
  // The same from a connection without a token, as an auth message (the limit holds before auth).
  { name: 'too-big-auth', url, send: (s) => s.send(JSON.stringify({ op: 'auth', token: pad(max + 1024) })) },
  // {"op":"ping"} with two bytes that are never UTF-8 (0xFF 0xFE) inside, sent as a TEXT frame: ws
  // does not check what it is given as a Buffer.
  {
    name: 'invalid-utf8',
    url: withToken(token),
    send: (s) => s.send(Buffer.from([...Buffer.from('{"op":"ping","x":"'), 0xff, 0xfe, ...Buffer.from('"}')]), { binary: false }),
  },
  // A token the server must refuse, at the upgrade and as the first message.
  { name: 'bad-token', url: withToken(badToken), send: () => {} },
  { name: 'bad-token-auth', url, send: (s) => s.send(JSON.stringify({ op: 'auth', token: badToken })) },
];

/** The first frame in what the client wrote: header fields and, when short, the unmasked payload. */
function firstFrame(bytes) {
  if (bytes.length < 2) {
    return null;
  }
  let length = bytes[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    length = bytes.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    length = Number(bytes.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = (bytes[1] & 0x80) !== 0;
  const frame = { fin: (bytes[0] & 0x80) !== 0, opcode: bytes[0] & 0x0f, masked, length };
  const start = offset + (masked ? 4 : 0);
  if (length <= 64 && bytes.length >= start + length) {
    const payload = Buffer.from(bytes.subarray(start, start + length));
    for (let i = 0; masked && i < payload.length; i++) {
      payload[i] ^= bytes[offset + (i % 4)];
    }
    frame.payloadHex = payload.toString('hex');
  }
  return frame;
}

function run(c) {
  return new Promise((resolve) => {
    const report = { kind: 'closed', case: c.name, opened: false, code: null, reason: null, sent: null };
    const written = [];
    const socket = new WebSocket(c.url, { handshakeTimeout: 3000 });
    const giveUp = setTimeout(() => {
      report.timeout = true;
      socket.terminate();
    }, 8000);
    socket.on('open', () => {
      report.opened = true;
      // Everything the client writes from now on, to show which frame it really sent (_socket is the
      // net.Socket under ws; not documented, but stable across ws 8).
      const raw = socket._socket;
      const write = raw.write;
      raw.write = function (chunk, ...rest) {
        written.push(Buffer.from(chunk));
        return write.call(this, chunk, ...rest);
      };
      c.send(socket);
    });
    socket.on('message', (data) => {
      report.frames = [...(report.frames ?? []), data.toString()];
    });
    socket.on('unexpected-response', (req, res) => {
      report.status = res.statusCode;
      socket.terminate();
    });
    socket.on('error', (e) => {
      report.error = e.message;
    });
    socket.on('close', (code, reason) => {
      clearTimeout(giveUp);
      if (!report.timeout) {
        report.code = code;
        report.reason = reason.toString();
      }
      report.sent = firstFrame(Buffer.concat(written));
      emit(report);
      resolve();
    });
  });
}

await Promise.all(cases.map(run));
finish({ kind: 'done', cases: cases.length });
