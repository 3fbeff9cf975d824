/*
 * fuzz_conn.c -- libFuzzer target for the RPC framing of client
 * connections: bytes written by a client, in pieces, through the
 * daemon's own code (control.c: control_accept, control_event, conn_read,
 * conn_parse, the administrative methods, submit, control_flush_all) on a
 * real Unix socket, in a supervisor with the built-in defaults and no
 * workers: tasks queue, are refused queue_full, or are cancelled when the
 * connection closes.
 *
 * The first input byte chooses the limits and how the client reads: bit 0,
 * it reads the answers after every piece (else only at the end, so that
 * max-connection-output and max-outstanding pause the connection); bits
 * 1-2, max-outstanding (1, 4, 64 or 1024); the byte also seeds the sizes
 * of the pieces the rest is written in.  max-request-size is 1K and
 * max-connection-output 4K, their least values.
 *
 * Checked: no crash, leak or undefined behaviour; every answer is a whole
 * MessagePack-RPC response [1, msgid, error, result]; there are no more
 * answers than messages written; a connection never holds more than
 * max-outstanding requests; its input buffer stays within
 * max-request-size plus one read; and once the connection is closed,
 * nothing is left: no task, no queued task, no buffered byte.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "forkpool.h"
#include "breaker_table.h"
#include "control.h"
#include "daemon.h"
#include "dispatch.h"
#include "handlers.h"
#include "log.h"
#include "reload.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char	 dir[64];
static struct fp_buf answers;

static void
cleanup(void)
{
	control_unlisten();
	rmdir(dir);
}

static void
setup(void)
{
	static struct supervisor s;
	char		 err[PATH_MAX + 256];

	sv = &s;
	config_defaults(&sv->conf);
	strlcpy(dir, "/tmp/fuzz_conn.XXXXXX", sizeof(dir));
	ASSERT(mkdtemp(dir) != NULL);
	snprintf(sv->conf.socket, sizeof(sv->conf.socket), "%s/s", dir);
	sv->conf.max_request_size = 1024;
	sv->conf.max_connection_output = 4096;
	sv->conf.queue_limit = 100;
	log_init(1, LOG_LVL_ERROR, "fuzz_conn");
	/* forkpool.reload must fail, not fork workers: no such file. */
	strlcpy(cmdline.file, "/nonexistent/forkpool.conf",
	    sizeof(cmdline.file));
	cmdline.fflag = 1;
	TAILQ_INIT(&sv->queue);
	TAILQ_INIT(&sv->retryq);
	TAILQ_INIT(&sv->flushq);
	handlers_init(0);
	breaker_table_init();
	ASSERT((sv->epfd = epoll_create1(EPOLL_CLOEXEC)) != -1);
	if (control_listen(err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_conn: %s\n", err);
		abort();
	}
	sv->started_ns = sv->now_ns = fp_now_ns();
	atexit(cleanup);
}

/*
 * The length of the MessagePack object at p[0..n) as the daemon measures
 * it: > 0 when complete, 0 when more is needed, -1 when invalid.
 */
static ssize_t
obj_len(const uint8_t *p, size_t n)
{
	struct fp_mp_skip	 sk;
	size_t		 used;
	int		 r;

	fp_mp_skip_init(&sk);
	r = fp_mp_skip_feed(&sk, p, n, &used);
	if (r == FP_AGAIN)
		return 0;
	if (r == -1)
		return -1;
	return (ssize_t)used;
}

/* Read what the daemon wrote to the client; count whole answers. */
static void
drain(int fd, size_t *nans)
{
	uint8_t	 tmp[65536];
	ssize_t	 n;
	ssize_t	 len;

	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		ASSERT(fp_buf_append(&answers, tmp, (size_t)n) == 0);
	while (fp_buf_unread(&answers) > 0) {
		len = obj_len(fp_buf_head(&answers), fp_buf_unread(&answers));
		if (len == 0)
			break;		/* the rest comes later */
		ASSERT(len > 0);
		ASSERT(len >= 4 && fp_buf_head(&answers)[0] == 0x94 &&
		    fp_buf_head(&answers)[1] == 0x01);
		ASSERT(fp_mp_object_len(fp_buf_head(&answers), (size_t)len, 1) ==
		    len);
		fp_buf_drop(&answers, (size_t)len);
		(*nans)++;
	}
}

/* Messages (whole MessagePack objects) at the start of p[0..n). */
static size_t
count_messages(const uint8_t *p, size_t n)
{
	size_t	 k = 0;
	ssize_t	 len;

	while (n > 0 && (len = obj_len(p, n)) > 0) {
		p += len;
		n -= (size_t)len;
		k++;
	}
	return k;
}

/* The daemon's side of the one connection, NULL once it is closed. */
static struct conn *
the_conn(uint32_t slot, uint32_t gen)
{
	return control_conn(slot, gen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t outs[] = { 1, 4, 64, 1024 };
	struct sockaddr_un sun;
	struct conn	*c;
	size_t		 off = 0, piece, nans = 0, nmsg;
	uint32_t	 x, slot = 0, gen, i;
	int		 fd, readall;

	if (sv == NULL)
		setup();
	if (size < 1)
		return 0;
	readall = data[0] & 1;
	sv->conf.max_outstanding = outs[(data[0] >> 1) & 3];
	x = data[0] * 2654435761U | 1;
	data++;
	size--;
	nmsg = count_messages(data, size);

	ASSERT((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, sv->conf.socket, sizeof(sun.sun_path));
	ASSERT(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	gen = sv->conngen + 1;
	control_accept();
	for (i = 0; i < sv->conncap; i++)
		if (sv->conns[i] != NULL && sv->conns[i]->gen == gen)
			slot = i;
	ASSERT(the_conn(slot, gen) != NULL);
	ASSERT(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);

	while (off < size) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		piece = 1 + x % (x & 0x100 ? 1024 : 8);
		if (piece > size - off)
			piece = size - off;
		if (write(fd, data + off, piece) != (ssize_t)piece)
			break;		/* closed on us, or paused and full */
		off += piece;
		sv->now_ns = fp_now_ns();
		if ((c = the_conn(slot, gen)) != NULL)
			control_event(c, EPOLLIN);
		control_resume_all();
		control_flush_all();
		if ((c = the_conn(slot, gen)) == NULL)
			break;
		ASSERT(c->outstanding <= sv->conf.max_outstanding);
		ASSERT(fp_buf_unread(&c->in) <= sv->conf.max_request_size +
		    64 * 1024 + 1024);
		if (readall)
			drain(fd, &nans);
	}
	/* The client reads everything, then says it is done. */
	for (i = 0; i < 64 && (c = the_conn(slot, gen)) != NULL; i++) {
		drain(fd, &nans);
		control_event(c, EPOLLOUT | EPOLLIN);
		control_resume_all();
		control_flush_all();
	}
	shutdown(fd, SHUT_WR);
	if ((c = the_conn(slot, gen)) != NULL) {
		control_event(c, EPOLLIN);
		control_flush_all();
	}
	drain(fd, &nans);
	/*
	 * Whatever is left is cancelled with the connection; queued
	 * notifications are answered as in a shutdown.
	 */
	control_close_all();
	dispatch_fail_all(FP_E_SHUTTING_DOWN, "fuzz");
	drain(fd, &nans);
	ASSERT(nans <= nmsg + 1);
	ASSERT(sv->nconns == 0 && sv->nactive == 0 && sv->nqueued == 0);
	ASSERT(sv->buffered == 0);
	close(fd);
	fp_buf_free(&answers);
	return 0;
}
