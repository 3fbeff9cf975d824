#!/bin/sh
# metrics_names.sh -- every metric family that forkpool.metrics gives is
# listed in the METRICS section of forkpoold(8), with its type and labels,
# and every metric listed there is given: the page and the daemon cannot
# drift apart.  (Over HTTP: metrics_http.sh.)
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
fp_start -w 1
# A call, so that the per-handler families have series.
fp_call_ok '1' 'call echo 1' echo 1
fp_py "$root/man/forkpoold.8" <<'PY' || fp_fail "forkpoold(8) METRICS against forkpool.metrics"
import os, re, sys
import fpclient as fc
import fphttp

# The page: `.It Li NAME' or `.It Li NAME Ns Brq Cm L1 , L2', then a line
# that starts with the type ("Counter", "Gauge", "Histogram").
page = {}
lines = open(sys.argv[1]).read().split("\n")
start = lines.index(".Sh METRICS")
end = next(i for i in range(start + 1, len(lines))
    if lines[i].startswith(".Sh "))
for i in range(start, end):
	m = re.match(r"\.It Li (forkpool_\w+)(?: Ns Brq Cm (.*))?$", lines[i])
	if m is None:
		continue
	labels = [] if m.group(2) is None else \
	    [x.strip() for x in m.group(2).split(",")]
	typ = lines[i + 1].split()[0].rstrip(":,").lower()
	if m.group(1) in page:
		fc.fail("forkpoold.8 lists %s twice" % m.group(1))
	page[m.group(1)] = (typ, labels)
if len(page) < 10:
	fc.fail("only %d metrics found in forkpoold.8: %r" % (len(page), page))

c = fc.Conn(os.environ["FP_SOCK"])
err, text = c.call("forkpool.metrics", [])
if err is not None:
	fc.fail("forkpool.metrics: %r" % (err,))
vals, fams = fphttp.samples(text)
for name, typ in fams.items():
	if name not in page:
		fc.fail("%s (%s) is not in forkpoold.8" % (name, typ))
	if page[name][0] != typ:
		fc.fail("%s is a %s, forkpoold.8 says %s" %
		    (name, typ, page[name][0]))
for name, (typ, labels) in page.items():
	if name not in fams:
		fc.fail("forkpoold.8 lists %s, forkpool.metrics has no such "
		    "family" % name)
	# The labels of its samples (le of histograms' buckets aside).
	seen = set()
	for k in vals:
		base = re.sub(r"_(bucket|sum|count)$", "", k.split("{")[0]) \
		    if typ == "histogram" else k.split("{")[0]
		if base != name:
			continue
		got = re.findall(r'(\w+)="', k[len(k.split("{")[0]):])
		seen.add(tuple(x for x in got if x != "le"))
	if not seen:
		fc.fail("%s has no samples" % name)
	if seen != {tuple(labels)}:
		fc.fail("%s has labels %r, forkpoold.8 says %r" %
		    (name, sorted(seen), labels))
PY
fp_stop_clean
