/*
 * http.h -- metrics-listen: GET /metrics over HTTP/1.x from the
 * supervisor's own loop (http.c).  Non-blocking, a few connections at
 * most, small requests; it never stalls the loop.
 */
#ifndef FP_HTTP_H
#define FP_HTTP_H

#include <stddef.h>
#include <stdint.h>

/*
 * http_listen: bind and listen on sv->conf.metrics_listen (nothing if
 * it is ""), registered with epoll as EV_HTTP_LISTEN.  0, or -1 with
 * "ADDR: reason" in err.
 */
int	 http_listen(char *err, size_t errlen);
/* http_event: epoll reported `events' for an EV_HTTP_* tag. */
void	 http_event(int kind, uint32_t slot, uint32_t events);
/* http_tick: close connections idle or slow for too long. */
void	 http_tick(uint64_t now_ns);
/* http_close_all: close the listener and every connection (shutdown). */
void	 http_close_all(void);

#endif /* FP_HTTP_H */
