/*
 * top.h -- the pool seen from its RPC answers: the tables of `forkpool
 * stats', `workers' and `slowlog', and `forkpool top', the live view.
 */
#ifndef TOP_H
#define TOP_H

#include <stddef.h>
#include <stdint.h>

/* The exit statuses of forkpool(1), as forkpool.c names them. */
#define VIEW_OK		0
#define VIEW_ANSWER	1	/* an error answer, or an answer not understood */
#define VIEW_USAGE	2
#define VIEW_CONN	3

/* view_stats: all: the handlers without calls in the window too. */
#define VIEW_ALL	0x1

/*
 * view_stats, view_workers, view_slowlog: print the result of
 * forkpool.stats, forkpool.workers, forkpool.slowlog (MessagePack
 * data[0..len)) as a plain-text table on stdout; every string from the
 * daemon printed with its control bytes replaced.  Return VIEW_OK, or
 * VIEW_ANSWER with a message on stderr for an answer of another shape or a
 * failed write.
 */
int	view_stats(const uint8_t *data, size_t len, int flags);
int	view_workers(const uint8_t *data, size_t len, int flags);
int	view_slowlog(const uint8_t *data, size_t len, int flags);

/*
 * top: run `forkpool top' against the daemon at `path' with argv[0]
 * being "top"; timeout_ms (-1: 5 s) bounds each call.  Returns an exit
 * status; VIEW_USAGE after a message: the caller prints the synopsis.
 */
int	top(const char *path, int timeout_ms, int argc, char *argv[]);

#endif /* TOP_H */
