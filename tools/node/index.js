// forkpool -- Node.js client of forkpoold, the forkpool prefork task
// server: MessagePack-RPC over its Unix stream socket (forkpool-rpc(7)).
// See README.md and index.d.ts.
export { ForkPool, DEFAULTS } from './src/pool.js';
export { ForkPoolError, DAEMON_CODES, CLIENT_CODES } from './src/errors.js';
export { defaultSocket } from './src/socket-path.js';
