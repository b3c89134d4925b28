// BullMQ side of the worker benchmark: enqueue N no-op jobs with addBulk, drain them with one
// Worker per process at concurrency 32. Prints one line: "bullmq <enqueue jobs/s> <drain jobs/s>".
import { Queue, Worker } from "bullmq";

const N = Number(process.env.BENCH_JOBS ?? 20000);
const url = new URL(process.env.PEER_REDIS_URL ?? "redis://127.0.0.1:6379/15");
const connection = { host: url.hostname, port: Number(url.port || 6379), db: Number(url.pathname.slice(1) || 0) };

const queue = new Queue("bench", { connection });
await queue.obliterate({ force: true });
let started = performance.now();
for (let offset = 0; offset < N; offset += 1000) {
  const batch = Array.from({ length: Math.min(1000, N - offset) }, (_, i) => ({ name: "noop", data: { n: offset + i } }));
  await queue.addBulk(batch);
}
const enqueueRate = N / ((performance.now() - started) / 1000);

started = performance.now();
let completed = 0;
await new Promise((resolve) => {
  const worker = new Worker("bench", async () => null, { connection, concurrency: 32 });
  worker.on("completed", () => {
    completed += 1;
    if (completed === N) {
      worker.close().then(resolve);
    }
  });
});
const drainRate = N / ((performance.now() - started) / 1000);
console.log(`bullmq ${enqueueRate.toFixed(0)} ${drainRate.toFixed(0)}`);
await queue.close();
