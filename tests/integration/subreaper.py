"""subreaper.py REAPED CMD [ARG...] -- for the tests of a daemon started
without -d (daemon_mode_exit_status.sh, startup_signals_daemon_mode.sh).
A detached daemon is nobody's child but init's: this runs CMD as the child
of a subreaper (PR_SET_CHILD_SUBREAPER), which inherits the daemon that
CMD detaches and records how each process it reaps exits, the starting
process first: "PID STATUS" lines appended to REAPED, STATUS as Python's
waitstatus_to_exitcode (-N for signal N).  It exits once it has no child
left; 3 if it cannot become a subreaper."""

import ctypes, os, sys

if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
	sys.exit(3)
pid = os.fork()
if pid == 0:
	os.execv(sys.argv[2], sys.argv[2:])
while True:
	try:
		p, st = os.waitpid(-1, 0)
	except ChildProcessError:
		break
	with open(sys.argv[1], "a") as f:
		f.write("%d %d\n" % (p, os.waitstatus_to_exitcode(st)))
