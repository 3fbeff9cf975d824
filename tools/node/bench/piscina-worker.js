// piscina-worker.js -- the tasks the benchmarks give Piscina's worker
// threads: the same work forkpool's handlers do, in JavaScript.
import { aggregate, SPEC } from '../examples/races.js';
import { canonicalStringify } from '../examples/objects.js';

// The money-flow transform over records (structured-cloned to this
// thread), or over JSON text (a Buffer) that the worker parses first.
export function group(records) {
  return aggregate(records, SPEC);
}

export function groupJson(buf) {
  return aggregate(JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8')), SPEC);
}

export function stringify(value) {
  return JSON.stringify(value);
}

export function stringifySorted(value) {
  return canonicalStringify(value);
}

export function parse(buf) {
  return JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8'));
}
