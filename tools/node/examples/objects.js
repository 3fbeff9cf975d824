// objects.js -- deterministic JSON-like objects of a given serialised size
// for the serialisation benchmark and example: an order book of items with
// strings (some not ASCII), integers, two-decimal floats, booleans, null,
// nested maps and arrays, keys not in sorted order.
import { rng } from './races.js';

const WORDS = ['alpha', 'bravo', 'café', 'delta', 'écho', 'foxtrot', 'golf', 'hôtel', 'india', 'juliett'];

function item(r, i) {
  return {
    sku: `SKU-${(i * 7919) % 100000}`,
    name: `${WORDS[Math.floor(r() * WORDS.length)]} ${WORDS[Math.floor(r() * WORDS.length)]}`,
    id: i,
    price: Math.round(r() * 100000) / 100,
    qty: Math.floor(r() * 50),
    active: r() < 0.8,
    discount: r() < 0.3 ? Math.round(r() * 50) / 100 : null,
    tags: [WORDS[i % WORDS.length], WORDS[(i * 3) % WORDS.length]],
    attrs: { colour: ['red', 'green', 'blue'][i % 3], weight_g: 100 + (i % 900), zone: `z${i % 7}` },
  };
}

// makeObject(bytes, seed): an object whose JSON.stringify is about `bytes'
// long (at least bytes, less than one item more).
export function makeObject(bytes, seed = 1) {
  const r = rng(seed);
  const obj = { version: 3, kind: 'order-book', generated: '2026-12-06T12:00:00Z', items: [] };
  let size = JSON.stringify(obj).length;
  let i = 0;
  while (size < bytes) {
    const it = item(r, i++);
    obj.items.push(it);
    size += JSON.stringify(it).length + 1;
  }
  return obj;
}

// canonicalStringify(v): JSON.stringify with the members of every object in
// ascending order of their keys (canonical JSON, for hashing or signing);
// for keys of ASCII text the same as forkpool's json.encode with sort_keys.
export function canonicalStringify(v) {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + canonicalStringify(v[i] === undefined ? null : v[i]);
    return s + ']';
  }
  const keys = Object.keys(v).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    if (v[k] === undefined) continue;
    s += (first ? '' : ',') + JSON.stringify(k) + ':' + canonicalStringify(v[k]);
    first = false;
  }
  return s + '}';
}

// The sizes the benchmark and the example measure.
export const SIZES = [
  ['1KB', 1 << 10],
  ['10KB', 10 << 10],
  ['100KB', 100 << 10],
  ['1MB', 1 << 20],
];
