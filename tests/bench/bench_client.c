/*
 * bench_client.c -- fp_client_submit of the W3 value (tests/bench/w3_data.h,
 * 10,000 records, seed 42, as MessagePack) in one process: what a client
 * pays to check (the params scan) and queue one large request.
 *
 *	bench_client [-s seconds per round] [-r rounds]
 *
 * The client is connected to a listening socket in a temporary directory;
 * after each submit its output is drained (flushed and read on the
 * accepted end), untimed, so that every submit finds the same empty
 * buffer.  Only the submit call is timed.  Each round repeats it for about
 * `seconds' (default 1); the table shows the median and the range of
 * `rounds' (default 7) rounds, in ms per submit and MB/s (10^6 bytes) of
 * params.  Compare within one run on one machine.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "forkpool.h"
#include "bench.h"
#include "w3_data.h"

#define MAXROUNDS	32

/* drain: flush c's output and read it on `peer' until none is left. */
static int
drain(struct fp_client *c, int peer)
{
	static char	 sink[256 * 1024];
	ssize_t		 n;

	while (fp_client_pending_output(c) > 0) {
		if (fp_client_flush(c) == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK)
			return -1;
		while ((n = recv(peer, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
			;
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	msgpack_sbuffer		 sb;
	struct sockaddr_un	 sun;
	struct fp_client	*c;
	char			 dir[] = "/tmp/fpbench.XXXXXX", err[160];
	double			 secs = 1.0, ms[MAXROUNDS], t0, t, start;
	long			 k;
	int			 rounds = 7, r, lfd, peer, ch;

	while ((ch = getopt(argc, argv, "s:r:")) != -1) {
		switch (ch) {
		case 's':
			secs = atof(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			fprintf(stderr,
			    "usage: bench_client [-s seconds] [-r rounds]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAXROUNDS || secs <= 0) {
		fprintf(stderr, "bench_client: bad -s or -r\n");
		return 2;
	}

	msgpack_sbuffer_init(&sb);
	w3_pack(&sb, W3_RECORDS, W3_SEED);

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", dir);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, 4) == -1) {
		perror("listen");
		return 1;
	}
	if ((c = fp_client_connect(sun.sun_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bench_client: %s\n", err);
		return 1;
	}
	if ((peer = accept(lfd, NULL, NULL)) == -1) {
		perror("accept");
		return 1;
	}

	/* Warm up: the output buffer reaches its size once. */
	if (fp_client_submit(c, "echo", sb.data, sb.size, NULL) == -1 ||
	    drain(c, peer) == -1) {
		perror("bench_client: submit");
		return 1;
	}
	for (r = 0; r < rounds; r++) {
		t = 0;
		k = 0;
		start = now();
		do {
			t0 = now();
			if (fp_client_submit(c, "echo", sb.data, sb.size,
			    NULL) == -1) {
				perror("bench_client: submit");
				return 1;
			}
			t += now() - t0;
			k++;
			if (drain(c, peer) == -1) {
				perror("bench_client: drain");
				return 1;
			}
		} while (now() - start < secs);
		ms[r] = t * 1e3 / (double)k;
	}
	qsort(ms, (size_t)rounds, sizeof(ms[0]), cmp_double);
	printf("fp_client_submit, W3 value (%zu bytes of MessagePack), "
	    "%d rounds of %.1fs\n", sb.size, rounds, secs);
	printf("%-28s %10s %10s %10s %10s\n", "", "median ms", "min ms",
	    "max ms", "MB/s");
	printf("%-28s %10.4f %10.4f %10.4f %10.0f\n", "submit (scan + copy)",
	    ms[rounds / 2], ms[0], ms[rounds - 1],
	    (double)sb.size / 1e6 / (ms[rounds / 2] / 1e3));

	fp_client_close(c);
	close(peer);
	close(lfd);
	unlink(sun.sun_path);
	rmdir(dir);
	msgpack_sbuffer_destroy(&sb);
	return 0;
}
