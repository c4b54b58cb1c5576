// npm ws subscribes to one topic, with the token in an Authorization header, and counts events. ws does
// not reconnect by itself: when the connection drops, this script reconnects (every 200 ms until it
// opens) and subscribes again with the cursor of the last event it got, as the README tells clients to.
// Exits 0 after `expected` events, 2 on its deadline.
//
// usage: HERALD_TOKEN=… node ws-resume.mjs <ws url> <topic> <expected events>
import WebSocket from 'ws';
import { deadline, emit, finish, required } from './report.mjs';

const USAGE = 'HERALD_TOKEN=… node ws-resume.mjs <ws url> <topic> <expected events>';
const token = required('HERALD_TOKEN', USAGE);
const [url, topic, expectedArg] = process.argv.slice(2);
const expected = Number(expectedArg);
if (!url || !topic || !(expected > 0)) {
  emit({ kind: 'usage', message: USAGE });
  process.exit(64);
}
deadline(20);

let cursor = null;
let received = 0;

function connect() {
  const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, handshakeTimeout: 3000 });
  socket.on('open', () => {
    emit({ kind: 'subscribe', cursor });
    socket.send(JSON.stringify({ op: 'subscribe', topics: [topic], ...(cursor ? { cursor } : {}), ref: 's' }));
  });
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    if (frame.type === 'subscribed') {
      cursor = frame.cursor ?? cursor;
      emit({ kind: 'subscribed', cursor: frame.cursor ?? null });
    } else if (frame.type === 'event' && frame.event.type.startsWith('herald.')) {
      emit({ kind: 'notice', type: frame.event.type, data: frame.event.data });
    } else if (frame.type === 'event') {
      cursor = frame.cursor;
      received++;
      emit({ kind: 'event', type: frame.event.type, cursor: frame.cursor, event: frame.event });
      if (received === expected) {
        socket.close(1000);
        finish({ kind: 'done', received });
      }
    } else {
      emit({ kind: 'frame', frame });
    }
  });
  socket.on('error', (e) => emit({ kind: 'error', message: e.message }));
  socket.on('close', (code, reason) => {
    emit({ kind: 'closed', code, reason: reason.toString() });
    setTimeout(connect, 200);
  });
}

connect();
