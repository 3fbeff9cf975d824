// races.js -- the money-flow data and its transform, in JavaScript.
//
// A "race" is the book of bets taken on one race: a few thousand records
// {race, runner, pool, amount, odds, ts}.  The transform groups them by
// runner and aggregates each group (bets, stake, average stake, shortest
// and longest odds): the same computation that forkpool's example plug-in
// aggregate.group (src/plugins/aggregate.c, forkpool_plugin(3)) does in a
// worker process.  money-flow.js and ../bench/money-flow.js run it three
// ways (forkpool, Piscina, in-process) and check that the answers are equal.
//
// Everything here is deterministic: makeRace(seed, ...) gives the same
// records for the same arguments on every machine.

// The spec that aggregate.group takes, and aggregate() below follows: by
// race and runner (every record of a race has the same race, so the rows
// are one per runner, and each row names the race it answers).
export const SPEC = Object.freeze({
  by: ['race', 'runner'],
  aggregates: {
    bets: ['count'],
    stake: ['sum', 'amount'],
    avg_stake: ['avg', 'amount'],
    min_odds: ['min', 'odds'],
    max_odds: ['max', 'odds'],
  },
});

const POOLS = ['win', 'place', 'show', 'exacta'];

// mulberry32: a small seeded generator, good enough for test data.
export function rng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// makeRace(seed, records = 4000, runners = 14): the bets of race `seed'.
// amount is an integer (cents) so that sums are exact on both sides; odds
// have two decimals.
export function makeRace(seed, records = 4000, runners = 14) {
  const r = rng(seed * 2654435761);
  const race = `R${String(seed).padStart(5, '0')}`;
  const out = new Array(records);
  for (let i = 0; i < records; i++) {
    // A few favourites take most of the money.
    const runner = 1 + Math.floor(runners * r() * r());
    out[i] = {
      race,
      runner,
      pool: POOLS[Math.floor(r() * POOLS.length)],
      amount: 100 * (1 + Math.floor(r() * 500)),
      odds: Math.round((1.1 + runner * 1.5 + r() * 20) * 100) / 100,
      ts: 36000 + i,
    };
  }
  return out;
}

// A group key that tells apart what MessagePack tells apart among the
// values a record holds here: numbers, strings, booleans, nil.  (The
// plug-in compares keys as MessagePack bytes, so 1 and 1.0 are two groups
// there; JavaScript has one number 1 and its encoders send it as the
// integer 1 either way, so both sides agree on what JavaScript sends.)
function keyPart(v) {
  if (v === undefined || v === null) return 'n';
  switch (typeof v) {
    case 'number': return `d${v}`;
    case 'string': return `s${v}`;
    case 'boolean': return v ? 't' : 'f';
    default:
      throw new TypeError('aggregate: a "by" value must be a number, string, boolean or null');
  }
}

function isNumber(v) {
  return typeof v === 'number' || typeof v === 'bigint';
}

// aggregate(records, spec): the rows of aggregate.group [records, spec],
// with its rules: groups in order of first appearance; the "by" fields
// with their values in the group's first record (null where missing), then
// the aggregates in the spec's order; null and missing values skipped by
// sum/avg/min/max and by count with a field; an aggregate over no values
// is null (count is 0); min and max skip NaN; a value that is not a number
// is an error naming the record.
export function aggregate(records, spec) {
  const by = typeof spec.by === 'string' ? [spec.by] : spec.by;
  const aggs = Object.entries(spec.aggregates).map(([name, [op, field]]) => ({ name, op, field }));
  const nagg = aggs.length;
  const groups = new Map();
  const order = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    let key = '';
    for (let j = 0; j < by.length; j++) key += keyPart(r[by[j]]) + '\u0000';
    let g = groups.get(key);
    if (g === undefined) {
      g = { first: r, n: new Array(nagg).fill(0), sum: new Array(nagg).fill(0), min: new Array(nagg), max: new Array(nagg) };
      groups.set(key, g);
      order.push(g);
    }
    for (let j = 0; j < nagg; j++) {
      const a = aggs[j];
      if (a.field === undefined) {
        g.n[j]++;
        continue;
      }
      const v = r[a.field];
      if (v === undefined || v === null) continue;
      if (a.op === 'count') {
        g.n[j]++;
        continue;
      }
      if (!isNumber(v)) throw new TypeError(`record ${i}: field ${a.field} is not a number`);
      if ((a.op === 'min' || a.op === 'max') && Number.isNaN(v)) continue;
      g.n[j]++;
      switch (a.op) {
        case 'sum':
        case 'avg':
          g.sum[j] += Number(v);
          break;
        case 'min':
          if (g.min[j] === undefined || v < g.min[j]) g.min[j] = v;
          break;
        case 'max':
          if (g.max[j] === undefined || v > g.max[j]) g.max[j] = v;
          break;
        default:
          throw new TypeError(`aggregate ${a.name}: unknown op ${a.op}`);
      }
    }
  }
  return order.map((g) => {
    const row = {};
    for (const f of by) row[f] = g.first[f] ?? null;
    aggs.forEach((a, j) => {
      if (a.op === 'count') row[a.name] = g.n[j];
      else if (g.n[j] === 0) row[a.name] = null;
      else if (a.op === 'sum') row[a.name] = g.sum[j];
      else if (a.op === 'avg') row[a.name] = g.sum[j] / g.n[j];
      else if (a.op === 'min') row[a.name] = g.min[j];
      else row[a.name] = g.max[j];
    });
    return row;
  });
}

// sameRows(a, b): the rows are equal, field by field and in order.  Numbers
// compare by value (a count may come back from MessagePack as a BigInt when
// a client decodes 64-bit integers so).
export function sameRows(a, b) {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const ka = Object.keys(a[i]);
    const kb = Object.keys(b[i]);
    if (ka.length !== kb.length) return false;
    for (let j = 0; j < ka.length; j++) {
      if (ka[j] !== kb[j]) return false;
      const x = a[i][ka[j]];
      const y = b[i][kb[j]];
      if (isNumber(x) && isNumber(y)) {
        if (Number(x) !== Number(y) && !(Number.isNaN(Number(x)) && Number.isNaN(Number(y)))) return false;
      } else if (x !== y) return false;
    }
  }
  return true;
}
