# conn_hold.py N -- for the connection-limit tests (conn_limits_*.sh, run
# as nobody through fp_held in tests/lib.sh): open N connections to
# $FP_SOCK, ping on each, print how many were answered, then keep them open
# until $T/release exists (bounded: 60 s).
import os, socket, sys, time, msgpack
n, ok = int(sys.argv[1]), 0
socks = []
for i in range(n):
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(5)
	try:
		# A refused connection is accepted and closed at once.
		s.connect(os.environ["FP_SOCK"])
		s.sendall(msgpack.packb([0, i, "forkpool.ping", []]))
		got = s.recv(4096)
	except OSError:
		got = b""
	if got:
		ok += 1
		socks.append(s)
	else:
		s.close()
print(ok, flush=True)
for i in range(3000):
	if os.path.exists(os.environ["T"] + "/release"):
		break
	time.sleep(0.02)
