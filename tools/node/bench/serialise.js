#!/usr/bin/env node
// serialise.js -- benchmark of serialisation off the event loop: forkpool's
// json.encode against JSON.stringify in-process and on Piscina, for objects
// of 1 KB to 1 MB of JSON; and the cases where forkpool can win: canonical
// JSON with sorted keys (more work than the encoding) and parsing JSON that
// is bytes already (json.decode of a Buffer against JSON.parse).
//
//	node serialise.js --socket PATH [--seconds S] [--quick]
//	    [--variants forkpool,piscina,inproc,msgpack]
//
// Variants: inproc (JSON.stringify, the canonical stringify or JSON.parse on
// the main thread), forkpool (the handler, 4 calls in flight), piscina (the
// same JavaScript on 2 worker threads, 4 in flight), msgpack (only the
// MessagePack encoding the client does before a json.encode call leaves
// the process: what the main thread pays for forkpool at the least).
// The daemon: its default configuration, 2 workers.  Prints the table of
// lib.js; main_us is the figure the README quotes.
import { ForkPool } from '../index.js';
import { makeObject, canonicalStringify, SIZES } from '../examples/objects.js';
import { msgpackEncode } from '../examples/codec.js';
import { options, measure, keep, piscina, header, row } from './lib.js';

const USAGE = 'usage: node serialise.js [--socket PATH] [--seconds S] [--quick] ' +
  '[--variants forkpool,piscina,inproc,msgpack]';
const o = options(USAGE);
const INFLIGHT = 4;
const fp = new ForkPool({ socket: o.socket, timeout: 30000 });
const pis = o.only && !o.only.has('piscina') ? null : await piscina(2);
const hasPis = typeof pis === 'object' && pis !== null;

// Each case: the value, what each variant does with it, and the answer
// every variant must give.
const cases = [];
for (const [name, bytes] of SIZES) {
  const obj = makeObject(bytes, 1);
  cases.push({
    name: `encode-${name}`,
    want: JSON.stringify(obj),
    inproc: async () => JSON.stringify(obj),
    msgpack: async () => msgpackEncode(obj),
    forkpool: async () => (await fp.run('json.encode', [obj])).text,
    piscina: hasPis ? () => pis.run(obj, { name: 'stringify' }) : null,
  });
}
{
  const obj = makeObject(100 << 10, 2);
  cases.push({
    name: 'sorted-100KB',
    want: canonicalStringify(obj),
    inproc: async () => canonicalStringify(obj),
    msgpack: async () => msgpackEncode(obj),
    forkpool: async () => (await fp.run('json.encode', [obj, { sort_keys: true }])).text,
    piscina: hasPis ? () => pis.run(obj, { name: 'stringifySorted' }) : null,
  });
}
{
  const text = Buffer.from(JSON.stringify(makeObject(1 << 20, 3)));
  const want = JSON.stringify(JSON.parse(text.toString()));
  cases.push({
    name: 'parse-1MB',
    want,
    check: (v) => JSON.stringify(v),
    inproc: async () => JSON.parse(text.toString()),
    forkpool: () => fp.run('json.decode', [text]),
    piscina: hasPis ? () => pis.run(text, { name: 'parse' }) : null,
  });
}

header('serialise', `json.encode/json.decode on forkpool (2 workers, ${INFLIGHT} in flight) ` +
  `against in-process and Piscina (2 threads, ${INFLIGHT} in flight)`);
if (typeof pis === 'string') console.log(`# skipped piscina: ${pis}`);
let failed = false;
try {
  for (const c of cases) {
    for (const name of ['inproc', 'msgpack', 'forkpool', 'piscina']) {
      const f = c[name];
      if (!f || (o.only && !o.only.has(name))) continue;
      if (name !== 'msgpack') {
        const got = await f();
        if ((c.check ? c.check(got) : got) !== c.want) {
          console.log(`# FAIL: ${c.name} ${name}: not the text JSON.stringify gives`);
          failed = true;
        }
      }
      const sync = name === 'inproc' || name === 'msgpack';
      // In-process work runs one task per turn of the loop, as a service
      // handling one request per event would.
      const r = await measure(o.seconds, () => keep(sync ? 1 : INFLIGHT, sync ? 1 : 8, f));
      row('serialise', c.name, name, r);
    }
  }
} finally {
  await fp.close();
  if (hasPis) await pis.destroy();
}
process.exit(failed ? 1 : 0);
