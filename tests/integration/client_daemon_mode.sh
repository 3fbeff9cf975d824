#!/bin/sh
# client_daemon_mode.sh -- the Node.js and Python clients against the
# daemon as it is run: started as root in daemon mode (detached, pidfile),
# its workers dropped to nobody (`user nobody'), each client finding the
# socket by its default rule ($FORKPOOL_SOCKET, no path given).  Each
# calls echo with 1 MiB of bytes (bin both ways), then the crash handler:
# worker_crashed with signal 11, and its next call is answered; every
# worker, the replacement too, runs as nobody; SIGTERM then stops the
# daemon cleanly (no socket, no pidfile, no worker left).
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	fp_skip "client_daemon_mode.sh must run as root (workers drop to" \
	    "nobody)"
fi
fp_need_node

cat >"$FP_CONF" <<CONF
workers 2
user nobody
test-handlers yes
CONF
fp_start_daemon
export FORKPOOL_SOCKET="$FP_SOCK"

cat >"$T/client.mjs" <<'JS'
import { ForkPool } from 'forkpool';
const pool = new ForkPool();
const big = Buffer.alloc(1 << 20, 7);
const back = await pool.run('echo', [big]);
if (!Buffer.isBuffer(back) || !back.equals(big))
	throw new Error('echo of 1 MiB came back different');
try {
	await pool.run('crash', []);
	throw new Error('crash answered');
} catch (e) {
	if (e.code !== 'worker_crashed' || e.signal !== 11)
		throw e;
}
console.log('node', await pool.run('echo', ['after']));
await pool.close();
JS
# Resolved by name, as a user's code would import it.
mkdir -p "$T/node_modules"
ln -s "$FP_ROOT/tools/node" "$T/node_modules/forkpool"
fp_run "$FP_NODE" "$T/client.mjs"
assert_status 0 "the Node.js client (stderr: $(cat "$T/err"))"
assert_grep '^node after$' "$T/out" "the Node.js client"

cat >"$T/client.py" <<'PY'
import asyncio
import forkpool

big = bytes(range(256)) * 4096

async def main():
	async with forkpool.Client() as fp:
		assert await fp.call("echo", big) == big, "echo of 1 MiB"
		try:
			await fp.call("crash")
			raise AssertionError("crash answered")
		except forkpool.WorkerCrashed as e:
			assert e.signal == 11, e
		print("asyncio", await fp.call("echo", "after"))

asyncio.run(main())
with forkpool.BlockingClient() as fp:
	assert fp.call("echo", big) == big, "blocking echo of 1 MiB"
	print("blocking", fp.call("echo", "after"))
PY
fp_run env PYTHONPATH="$FP_ROOT/tools/python" "$FP_PY" "$T/client.py"
assert_status 0 "the Python client (stderr: $(cat "$T/err"))"
assert_grep '^asyncio after$' "$T/out" "the asyncio client"
assert_grep '^blocking after$' "$T/out" "the blocking client"

# Every worker, the replacements too, runs as nobody.
for w in $(fp_workers); do
	assert_eq 65534 "$(awk '/^Uid:/ { print $3 }' "/proc/$w/status")" \
	    "effective uid of worker $w"
done
fp_stop_daemon TERM
