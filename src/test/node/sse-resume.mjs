// npm eventsource (a client nobody on the project wrote) subscribes to one topic, with the token in an
// Authorization header, and counts events. When the connection drops it reconnects on its own, after
// the server's retry: delay, sending Last-Event-ID; every connection attempt is reported with the
// Last-Event-ID it carries. Exits 0 after `expected` events of type `tick`, 2 on its deadline.
//
// usage: HERALD_TOKEN=… node sse-resume.mjs <stream url> <expected events>
import { EventSource } from 'eventsource';
import { deadline, emit, finish, required } from './report.mjs';

const USAGE = 'HERALD_TOKEN=… node sse-resume.mjs <stream url> <expected events>';
const token = required('HERALD_TOKEN', USAGE);
const [url, expectedArg] = process.argv.slice(2);
const expected = Number(expectedArg);
if (!url || !(expected > 0)) {
  emit({ kind: 'usage', message: USAGE });
  process.exit(64);
}
deadline(20);

let received = 0;
const source = new EventSource(url, {
  // eventsource 3+ sets headers through its fetch: the place to add the token and to see what a
  // reconnect sends.
  fetch: (input, init) => {
    emit({ kind: 'connect', lastEventId: init.headers['Last-Event-ID'] ?? null });
    return fetch(input, { ...init, headers: { ...init.headers, Authorization: `Bearer ${token}` } });
  },
});
source.onopen = () => emit({ kind: 'open' });
source.onerror = (e) => emit({ kind: 'error', code: e.code ?? null, message: e.message ?? null });
source.addEventListener('tick', (e) => {
  received++;
  emit({ kind: 'event', type: e.type, cursor: e.lastEventId, event: JSON.parse(e.data) });
  if (received === expected) {
    source.close();
    finish({ kind: 'done', received });
  }
});
// Notices a resume without loss must not produce.
for (const type of ['herald.reset', 'herald.shutdown', 'herald.token-expired']) {
  source.addEventListener(type, (e) => emit({ kind: 'notice', type, data: e.data }));
}
