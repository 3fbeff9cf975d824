#!/usr/bin/env node
// money-flow.js -- benchmark of the money-flow transform (../examples/
// races.js) three ways: on forkpool (aggregate.group of the example
// plug-in, 3 workers), on Piscina (3 worker threads) and in-process; bursts
// of 5 races at once, one burst after the other.  Two cases: the races as
// JavaScript objects (forkpool encodes them as MessagePack, Piscina
// structured-clones them), and the races as JSON text in a Buffer, as they
// come off a socket (forkpool: aggregate.group_json; Piscina and in-process:
// JSON.parse, then the transform).  Before measuring, every variant's rows
// are checked equal to the in-process transform's.
//
//	node money-flow.js --socket PATH [--seconds S] [--records N] [--quick]
//	    [--variants forkpool,piscina,inproc]
//
// The daemon: `workers 3' and `load ".../aggregate.so"' (tests/bench/
// clients.sh starts one).  Prints the table of lib.js.
import { ForkPool } from '../index.js';
import { SPEC, makeRace, aggregate, sameRows } from '../examples/races.js';
import { options, measure, piscina, header, row } from './lib.js';

const USAGE = 'usage: node money-flow.js [--socket PATH] [--seconds S] [--records N] [--quick] ' +
  '[--variants forkpool,piscina,inproc]';
const o = options(USAGE, { records: { type: 'string', default: '4000' } });
const nrecords = Number(o.records);
const BURST = 5;
const WORKERS = 3;

// Ten races, reused in turn, and their JSON text.
const races = [];
for (let s = 1; s <= 10; s++) races.push(makeRace(s, nrecords));
const texts = races.map((r) => Buffer.from(JSON.stringify(r)));
let next = 0;
function burst() {
  const b = [];
  for (let i = 0; i < BURST; i++) b.push(next++ % races.length);
  return b;
}

const fp = new ForkPool({ socket: o.socket, timeout: 30000 });
const pis = o.only && !o.only.has('piscina') ? null : await piscina(WORKERS);

const variants = {
  forkpool: {
    objects: (i) => fp.run('aggregate.group', [races[i], SPEC]),
    bytes: async (i) => JSON.parse(await fp.run('aggregate.group_json', [texts[i], SPEC])),
  },
  piscina: typeof pis === 'object' && pis !== null ? {
    objects: (i) => pis.run(races[i], { name: 'group' }),
    bytes: (i) => pis.run(texts[i], { name: 'groupJson' }),
  } : null,
  inproc: {
    objects: async (i) => aggregate(races[i], SPEC),
    bytes: async (i) => aggregate(JSON.parse(texts[i].toString()), SPEC),
  },
};

header('money-flow', `bursts of ${BURST} races of ${nrecords} bets grouped by runner; ` +
  `forkpool ${WORKERS} workers, Piscina ${WORKERS} threads`);
if (typeof pis === 'string') console.log(`# skipped piscina: ${pis}`);
let failed = false;
try {
  for (const kase of ['objects', 'bytes']) {
    for (const [name, v] of Object.entries(variants)) {
      if (v === null || (o.only && !o.only.has(name))) continue;
      // The same rows as the in-process transform, for every race.
      for (let i = 0; i < races.length; i++) {
        if (!sameRows(await v[kase](i), aggregate(races[i], SPEC))) {
          console.log(`# FAIL: ${name} ${kase}: race ${i + 1} differs from the in-process transform`);
          failed = true;
        }
      }
      const r = await measure(o.seconds, async () => {
        await Promise.all(burst().map((i) => v[kase](i)));
        return BURST;
      });
      row('money-flow', kase === 'objects' ? 'objects' : 'json-bytes', name, r);
    }
  }
} finally {
  await fp.close();
  if (typeof pis === 'object' && pis !== null) await pis.destroy();
}
process.exit(failed ? 1 : 0);
