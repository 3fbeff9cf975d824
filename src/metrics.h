/*
 * metrics.h -- the Prometheus text exposition format 0.0.4 of what the
 * supervisor knows (metrics.c): for forkpool.metrics and metrics-listen.
 */
#ifndef FP_METRICS_H
#define FP_METRICS_H

#include <stdint.h>

struct fp_buf;

/* metrics_render: append the text to b.  0, or -1 out of memory. */
int	 metrics_render(struct fp_buf *b, uint64_t now_ns);

#endif /* FP_METRICS_H */
