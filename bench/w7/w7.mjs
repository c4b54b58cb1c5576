// W7: jobs end to end (enqueue, lease, ack) with 4 workers, on Herald (HTTP, authentication on) or on
// BullMQ (its own Node workers), against the same Redis. Prints one JSON line.
//
//   node w7.mjs herald [--workers 4] --url http://127.0.0.1:18090 --enqueue-token T --work-token T [--ack batch|each|ws] [--jobs 20000 | --rate R --seconds S]
//   node w7.mjs bullmq --redis-port 6390 [--jobs 20000 | --rate R --seconds S]
//
// Closed loop (--jobs): enqueue N jobs as fast as 16 producers can while 4 workers take and acknowledge
// them; jobs/s is N over the time until the last ack. Open loop (--rate): enqueue R jobs per second for
// S seconds. Either way every job carries its enqueue time, and each worker records enqueue-to-lease
// latency when it receives the job; the enqueue call's own time to its answer is enqueue_p50/p99_ms.
// Herald's HTTP calls use an undici Pool (keep-alive); BullMQ talks to Redis through ioredis.
// Each worker has up to 10 jobs in flight (Herald: leases of up to 10; BullMQ: concurrency 10). A Herald worker acknowledges the jobs of a lease in one POST /v1/jobs/acks once
// all are done (--ack batch, the default), or each with its own POST /v1/jobs/{id}/ack (--ack each).
// With --ack ws the workers are WebSocket consumers instead (`consume` with prefetch 10 on /v1/ws, jobs
// pushed as they arrive, one `ack` message per job on the same connection; Node 20 needs
// --experimental-websocket, which bench/w7/run passes).
// Lost = enqueued (202 / added) but never received; duplicate = received twice.
import { Queue, Worker } from 'bullmq';
import { Pool } from 'undici';

const args = process.argv.slice(2);
const mode = args.shift();
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
// --workers 0: enqueues alone (no worker takes them), to measure what the enqueue path costs by itself.
const WORKERS = Number(opt('workers', 4));
const IN_FLIGHT = 10;
const PRODUCERS = 16;
const jobs = Number(opt('jobs', 0));
const rate = Number(opt('rate', 0));
const seconds = Number(opt('seconds', 10));
const queueName = opt('queue', `w7-${Date.now()}`);

const latencies = [];
const enqueueLatencies = [];
const received = new Set();
let duplicates = 0;
let acked = 0;
let enqueued = 0;
let enqueueErrors = 0;
let lastAck = 0;

function receive(id, t) {
  if (received.has(id)) {
    duplicates++;
  } else {
    received.add(id);
    latencies.push(Date.now() - t);
  }
}

async function produce(enqueueCall) {
  const enqueueOne = async (t) => {
    await enqueueCall(t);
    enqueueLatencies.push(Date.now() - t);
    if (WORKERS === 0) lastAck = Date.now();
  };
  const start = Date.now();
  if (jobs > 0) {
    let next = 0;
    await Promise.all(Array.from({ length: PRODUCERS }, async () => {
      while (next < jobs) {
        next++;
        try {
          await enqueueOne(Date.now());
          enqueued++;
        } catch (e) {
          enqueueErrors++;
        }
      }
    }));
  } else {
    const total = Math.round(rate * seconds);
    const pending = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(enqueueOne(Date.now()).then(() => enqueued++, () => enqueueErrors++));
    }
    await Promise.all(pending);
  }
  return start;
}

async function drained(deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (WORKERS > 0 && Date.now() < until && acked < enqueued) await new Promise((r) => setTimeout(r, 50));
}

function report(start, extra) {
  latencies.sort((a, b) => a - b);
  enqueueLatencies.sort((a, b) => a - b);
  const quantile = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : null);
  const q = (p) => quantile(latencies, p);
  const elapsed = (lastAck - start) / 1000;
  const done = WORKERS > 0 ? acked : enqueued;
  console.log(JSON.stringify({
    workload: 'W7', system: mode, mode: jobs > 0 ? 'closed' : 'open', target_rate: rate || null, workers: WORKERS,
    enqueued, enqueue_errors: enqueueErrors, acked, lost: WORKERS > 0 ? enqueued - received.size : null, duplicates,
    seconds: Number(elapsed.toFixed(3)), jobs_per_s: Number((done / elapsed).toFixed(1)),
    lease_p50_ms: q(0.5), lease_p99_ms: q(0.99), lease_max_ms: latencies.at(-1) ?? null,
    enqueue_p50_ms: quantile(enqueueLatencies, 0.5), enqueue_p99_ms: quantile(enqueueLatencies, 0.99), ...extra,
  }));
}

// Herald's HTTP calls go through one keep-alive undici Pool: Node's fetch spent about 0.65 ms of the load's
// core per Herald job (more than Herald itself), so the load generator, not Herald, set the pace.
let pool;

async function post(path, headers, body) {
  const { statusCode, body: answer } = await pool.request({ path, method: 'POST', headers, body });
  return { status: statusCode, text: await answer.text() };
}

const enqueueOne = (enqueueAuth) => async (t) => {
  const r = await post(`/v1/queues/${queueName}/jobs`, enqueueAuth, JSON.stringify({ type: 'w7', data: { t } }));
  if (r.status !== 202) throw new Error(`enqueue ${r.status}`);
};

async function herald() {
  const url = opt('url');
  pool = new Pool(url, { connections: PRODUCERS + 2 * WORKERS });
  const enqueueAuth = { authorization: `Bearer ${opt('enqueue-token')}`, 'content-type': 'application/json' };
  const workAuth = { authorization: `Bearer ${opt('work-token')}`, 'content-type': 'application/json' };
  const ackMode = opt('ack', 'batch');
  let running = true;
  if (ackMode === 'ws') {
    return wsHerald(url, enqueueAuth);
  }
  const workers = Array.from({ length: WORKERS }, async () => {
    while (running) {
      const r = await post(`/v1/queues/${queueName}/leases?max=${IN_FLIGHT}&wait=1`, workAuth);
      if (r.status !== 200) {
        await new Promise((res) => setTimeout(res, 100));
        continue;
      }
      const { jobs: leased } = JSON.parse(r.text);
      if (ackMode === 'batch') {
        if (leased.length === 0) continue;
        for (const job of leased) receive(job.id, job.data.t);
        const a = await post('/v1/jobs/acks', workAuth, JSON.stringify({ acks: leased.map((job) => ({ id: job.id, lease: job.lease })) }));
        if (a.status !== 200) {
          continue;
        }
        const { results } = JSON.parse(a.text);
        for (const result of results) {
          if (result.status === 200) {
            acked++;
            lastAck = Date.now();
          }
        }
        continue;
      }
      await Promise.all(leased.map(async (job) => {
        receive(job.id, job.data.t);
        const a = await post(`/v1/jobs/${job.id}/ack`, workAuth, JSON.stringify({ lease: job.lease }));
        if (a.status === 200) {
          acked++;
          lastAck = Date.now();
        }
      }));
    }
  });
  const start = await produce(enqueueOne(enqueueAuth));
  await drained(60_000);
  running = false;
  await Promise.all(workers);
  report(start, { ack: ackMode });
}

async function wsHerald(url, enqueueAuth) {
  pool = new Pool(url, { connections: PRODUCERS });
  const wsUrl = `${url.replace(/^http/, 'ws')}/v1/ws?access_token=${opt('work-token')}`;
  const sockets = await Promise.all(Array.from({ length: WORKERS }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === 'consuming') {
        resolve(ws);
      } else if (msg.type === 'job') {
        receive(msg.job.id, msg.job.data.t);
        ws.send(JSON.stringify({ op: 'ack', id: msg.job.id, lease: msg.job.lease }));
      } else if (msg.type === 'acked') {
        acked++;
        lastAck = Date.now();
      } else if (msg.type === 'error') {
        reject(new Error(m.data));
      }
    };
    ws.onopen = () => ws.send(JSON.stringify({ op: 'consume', queue: queueName, prefetch: IN_FLIGHT, ref: 'c' }));
    ws.onerror = (e) => reject(new Error(`WebSocket: ${e.message}`));
  })));
  const start = await produce(enqueueOne(enqueueAuth));
  await drained(60_000);
  for (const ws of sockets) ws.close();
  report(start, { ack: 'ws' });
}

async function bullmq() {
  const connection = { host: '127.0.0.1', port: Number(opt('redis-port')) };
  const queue = new Queue(queueName, { connection });
  const workers = Array.from({ length: WORKERS }, () => new Worker(queueName, async (job) => {
    receive(job.id, job.data.t);
  }, { connection, concurrency: IN_FLIGHT }));
  for (const w of workers) {
    w.on('completed', () => {
      acked++;
      lastAck = Date.now();
    });
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const start = await produce((t) => queue.add('w7', { t }, { removeOnComplete: true }));
  await drained(60_000);
  await Promise.all(workers.map((w) => w.close()));
  await queue.close();
  report(start, { bullmq: (await import('bullmq/package.json', { with: { type: 'json' } })).default.version });
}

await (mode === 'herald' ? herald() : bullmq());
process.exit(0);
