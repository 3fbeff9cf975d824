/*
 * bench.h -- `forkpool bench', the load generator of forkpool(1).
 */
#ifndef BENCH_H
#define BENCH_H

/*
 * bench: run `forkpool bench' against the daemon at `path' with argv[0]
 * being "bench".  timeout_ms (-1: none) bounds the wait for any response.
 * Prints the result line on stdout and problems on stderr.  Returns the
 * exit status of forkpool(1): 0, 1 (errors or mismatches), 2 (usage; the
 * caller prints the synopsis), 3 (connection or protocol failure).
 */
int	bench(const char *path, int timeout_ms, int argc, char *argv[]);

#endif /* BENCH_H */
