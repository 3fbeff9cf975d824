// codec.js -- the MessagePack encoding that the client does on the main
// thread before a call leaves the process, on its own, to time it: the
// client's own encoder (../src/codec.js).
import { packr } from '../src/codec.js';

export function msgpackEncode(value) {
  return packr.pack(value);
}
