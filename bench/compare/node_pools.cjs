// piscina and tinypool on W1 and W2, for comparison with `deno task bench`.
// Run from a scratch directory: `npm i piscina@4 tinypool@1`, copy this file there,
// then `node node_pools.cjs` (prints medians in ms).
const path = require("node:path");
const fs = require("node:fs");
const { Piscina } = require("piscina");
const { Tinypool } = require("tinypool");

const task = path.join(__dirname, "square_task.cjs");
fs.writeFileSync(
  task,
  "module.exports = (x) => x * x;\nmodule.exports.squareAll = (xs) => xs.map((x) => x * x);\n",
);

const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];

async function timed(runs, fn) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function measure(name, pool) {
  const ids = Array.from({ length: 20_000 }, (_, i) => i);
  const xs = Array.from({ length: 100_000 }, (_, i) => i);
  const size = Math.ceil(xs.length / 8); // the 8 chunks Python's default gives 2 workers
  const manyCalls = () => Promise.all(ids.map((i) => pool.run(i)));
  const map = async () => {
    const parts = await Promise.all(
      Array.from(
        { length: 8 },
        (_, b) => pool.run(xs.slice(b * size, (b + 1) * size), { name: "squareAll" }),
      ),
    );
    return [].concat(...parts);
  };
  await manyCalls();
  const w2 = await timed(7, manyCalls);
  const w1 = await timed(30, map);
  console.log(
    `${name}: W1 map 100k in 8 batches ${w1.toFixed(2)} ms, W2 20k calls ${w2.toFixed(1)} ms`,
  );
}

(async () => {
  const piscina = new Piscina({ filename: task, minThreads: 2, maxThreads: 2 });
  await measure("piscina", piscina);
  await piscina.destroy();
  const tinypool = new Tinypool({ filename: task, minThreads: 2, maxThreads: 2 });
  await measure("tinypool", tinypool);
  await tinypool.destroy();
  fs.unlinkSync(task);
})();
