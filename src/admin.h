/*
 * admin.h -- the administrative methods (admin.c): forkpool.ping,
 * handlers, stats, workers, breakers, slowlog, slowlog_reset and reload.
 * forkpool.call and forkpool.cancel, which make and cancel tasks of a
 * connection, are control.c's.
 */
#ifndef FP_ADMIN_H
#define FP_ADMIN_H

struct conn;
struct rpc_msg;

/*
 * admin_method: answer m, a request for a method under "forkpool." (its
 * connection not broken): the result, or no_such_method.
 */
void	 admin_method(struct conn *, const struct rpc_msg *);

#endif /* FP_ADMIN_H */
