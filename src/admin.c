/*
 * admin.c -- the administrative methods under "forkpool." that the
 * supervisor answers itself (admin.h): what it knows, read from the parts
 * that own it (stats.c, pool.c, dispatch.c, breaker_table.c, control.c's
 * figures), and reload.  Answers go through control.c's functions: this
 * file never touches a connection.
 */
#include <sys/types.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkpool.h"
#include "admin.h"
#include "breaker_table.h"
#include "buf.h"
#include "control.h"
#include "daemon.h"
#include "dispatch.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "mp.h"
#include "pool.h"
#include "proto.h"
#include "reload.h"
#include "spin.h"
#include "source.h"
#include "stats.h"

#define SLOWLOG_DEFAULT	10	/* entries forkpool.slowlog returns */
#define SLOWLOG_PER_CALL 1000	/* at most, whatever the count asked */

/*
 * A map written from a table of fields, so that its size is counted, not
 * kept by hand.
 */
enum field_type { F_UINT, F_DOUBLE, F_BOOL, F_STR, F_NIL, F_STRS, F_RAW };
struct field {
	const char	*key;
	enum field_type	 type;
	uint64_t	 u;	/* F_UINT, F_BOOL; F_STRS: how many; F_RAW:
				   bytes */
	double		 d;
	const char	*s;	/* F_STR; F_STRS: the first; F_RAW */
	size_t		 stride;	/* F_STRS: from one string to the next */
};
#define NFIELDS(f)	(sizeof(f) / sizeof((f)[0]))

/*
 * put_fields: the map header for n fields and `extra' pairs the caller
 * writes after them, then the n fields.
 */
static void
put_fields(struct fp_buf *b, const struct field *f, size_t n, uint32_t extra)
{
	size_t		 i;
	uint64_t	 j;

	fp_mp_put_map(b, (uint32_t)n + extra);
	for (i = 0; i < n; i++) {
		fp_mp_put_cstr(b, f[i].key);
		switch (f[i].type) {
		case F_UINT:
			fp_mp_put_uint(b, f[i].u);
			break;
		case F_DOUBLE:
			fp_mp_put_double(b, f[i].d);
			break;
		case F_BOOL:
			fp_mp_put_bool(b, f[i].u != 0);
			break;
		case F_STR:
			fp_mp_put_cstr(b, f[i].s);
			break;
		case F_NIL:
			fp_mp_put_nil(b);
			break;
		case F_STRS:
			fp_mp_put_array(b, (uint32_t)f[i].u);
			for (j = 0; j < f[i].u; j++)
				fp_mp_put_cstr(b, f[i].s + j * f[i].stride);
			break;
		case F_RAW:
			fp_mp_put_raw(b, f[i].s, (size_t)f[i].u);
			break;
		}
	}
}

/*
 * The params of m: an empty array, or one of at most `max' elements whose
 * first is read by the caller from *r.  -1 if it is not an array.
 */
static int
params_open(const struct rpc_msg *m, struct fp_mp_reader *r, uint32_t *n)
{
	r->p = m->params;
	r->len = m->plen;
	r->off = 0;
	return fp_mp_read_array(r, n);
}

/*
 * For the methods that take no params: 1 if m's are [], else m is
 * answered invalid_params and 0 returned.
 */
static int
params_none(struct conn *c, const struct rpc_msg *m)
{
	struct fp_mp_reader r;
	uint32_t	 n;

	if (params_open(m, &r, &n) == 0 && n == 0)
		return 1;
	control_error(c, m->msgid, FP_E_INVALID_PARAMS,
	    "params must be [] (this method takes none)");
	return 0;
}

/* {count, p50, p90, p99, p999, max} of one histogram. */
static void
put_hist(struct fp_buf *b, const struct fp_hist *h)
{
	const struct field f[] = {
		{ "count", F_UINT, .u = fp_hist_count_le(h, UINT64_MAX) },
		{ "p50", F_UINT, .u = fp_hist_quantile(h, 0.5) },
		{ "p90", F_UINT, .u = fp_hist_quantile(h, 0.9) },
		{ "p99", F_UINT, .u = fp_hist_quantile(h, 0.99) },
		{ "p999", F_UINT, .u = fp_hist_quantile(h, 0.999) },
		{ "max", F_UINT, .u = fp_hist_max(h) },
	};

	put_fields(b, f, NFIELDS(f), 0);
}

/* The handlers map of forkpool.stats: every enabled handler. */
static void
put_handlers(struct fp_buf *b, enum stats_window win)
{
	/* 21 KiB: not on the stack. */
	static struct stats_handler sh;
	uint32_t	 h, n = 0, i, ne;

	for (h = 0; h < handler_count(); h++)
		if (handler_get(h) != NULL)
			n++;
	fp_mp_put_map(b, n);
	for (h = 0; h < handler_count(); h++) {
		if (handler_get(h) == NULL)
			continue;
		if (stats_handler_get(h, win, &sh) == -1)
			memset(&sh, 0, sizeof(sh));
		fp_mp_put_cstr(b, handler_get(h)->name);
		const struct field f[] = {
			{ "calls", F_UINT, .u = sh.calls },
			{ "ok", F_UINT, .u = sh.ok },
			{ "failed", F_UINT, .u = sh.failed },
		};
		put_fields(b, f, NFIELDS(f), 4);
		fp_mp_put_cstr(b, "errors");
		for (i = ne = 0; i < FP_E__COUNT; i++)
			if (i != FP_OK && sh.errors[i] != 0)
				ne++;
		fp_mp_put_map(b, ne);
		for (i = 0; i < FP_E__COUNT; i++)
			if (i != FP_OK && sh.errors[i] != 0) {
				fp_mp_put_cstr(b, fp_err_name((int)i));
				fp_mp_put_uint(b, sh.errors[i]);
			}
		fp_mp_put_cstr(b, "wait");
		put_hist(b, &sh.wait);
		fp_mp_put_cstr(b, "run");
		put_hist(b, &sh.run);
		fp_mp_put_cstr(b, "total");
		put_hist(b, &sh.e2e);
	}
}

/* The sources array of forkpool.stats (forkpool-streams(7)). */
static void
put_sources(struct fp_buf *b)
{
	struct source_figures sf;
	uint32_t	 i, ne;
	int		 k, n = source_count();

	fp_mp_put_array(b, (uint32_t)n);
	for (k = 0; k < n; k++) {
		source_figures(k, &sf);
		const struct field f[] = {
			{ "name", F_STR, .s = sf.name },
			{ "stream", F_STR, .s = sf.stream },
			{ "group", F_STR, .s = sf.group },
			{ "consumer", F_STR, .s = sf.consumer },
			{ "state", F_STR, .s = sf.state },
			{ "up", F_BOOL, .u = (uint64_t)sf.up },
			{ "reconnects", F_UINT, .u = sf.reconnects },
			{ "read", F_UINT, .u = sf.read },
			{ "claimed", F_UINT, .u = sf.claimed },
			{ "recovered", F_UINT, .u = sf.recovered },
			{ "suppressed", F_UINT, .u = sf.suppressed },
			{ "dead_lettered", F_UINT, .u = sf.dead_lettered },
			{ "lost", F_UINT, .u = sf.lost },
			{ "lease_renewals", F_UINT, .u = sf.lease_renewals },
			{ "leases_lost", F_UINT, .u = sf.leases_lost },
			{ "inflight", F_UINT, .u = sf.inflight },
			{ "reads_skipped", F_UINT, .u = sf.reads_skipped },
			{ "answers_buffered", F_UINT, .u = sf.answers_buffered },
			{ "answers_dropped", F_UINT, .u = sf.answers_dropped },
			{ "rtt_us", F_UINT, .u = sf.rtt_us },
		};
		put_fields(b, f, NFIELDS(f), 1);
		/* answered: ok and each error code that occurred. */
		fp_mp_put_cstr(b, "answered");
		for (i = ne = 0; i < FP_E__COUNT; i++)
			if (i == FP_OK || sf.answered[i] != 0)
				ne++;
		fp_mp_put_map(b, ne);
		for (i = 0; i < FP_E__COUNT; i++)
			if (i == FP_OK || sf.answered[i] != 0) {
				fp_mp_put_cstr(b, fp_err_name((int)i));
				fp_mp_put_uint(b, sf.answered[i]);
			}
	}
}

/* forkpool.stats [window]: the counters, the uptime, the handlers. */
static void
admin_stats(struct conn *c, const struct rpc_msg *m)
{
	struct fp_mp_reader r;
	struct control_figures cf;
	struct stats_totals st;
	struct fp_buf	*b;
	const char	*s;
	uint32_t	 n, sl, spin_us;
	int		 win = SW_ALL, spinners;
	uint64_t	 now = fp_now_ns();

	if (params_open(m, &r, &n) == -1 || n > 1 || (n == 1 &&
	    (fp_mp_read_str(&r, &s, &sl) == -1 ||
	    (win = stats_window_parse(s, sl)) == -1))) {
		control_error(c, m->msgid, FP_E_INVALID_PARAMS,
		    "params must be [] or [window]: \"all\", \"1m\" or \"5m\"");
		return;
	}
	control_figures(&cf);
	stats_totals_get(now, &st);
	spin_figures(&spin_us, &spinners);
	const struct field f[] = {
		{ "buffered_bytes", F_UINT, .u = cf.buffered },
		{ "connections_paused", F_UINT, .u = cf.paused },
		{ "output_pauses", F_UINT, .u = sv->cnt.conn_pauses },
		{ "rejected_buffered", F_UINT, .u = sv->cnt.rejected_buffered },
		{ "connections_refused", F_UINT, .u = sv->cnt.conns_refused },
		{ "connections_dropped", F_UINT, .u = sv->cnt.conns_dropped },
		{ "accept_pauses", F_UINT, .u = sv->cnt.accept_pauses },
		{ "spawn_failures", F_UINT, .u = sv->cnt.spawn_failures },
		{ "respawn_backoff_ms", F_UINT, .u = pool_backoff_ms() },
		{ "generation", F_UINT, .u = sv->generation },
		{ "workers_retiring", F_UINT, .u = (uint64_t)pool_retiring() },
		{ "tasks_timeout", F_UINT, .u = sv->cnt.tasks_timeout },
		{ "tasks_cancelled", F_UINT, .u = sv->cnt.tasks_cancelled },
		{ "tasks_retried", F_UINT, .u = sv->cnt.tasks_retried },
		{ "tasks_revoked", F_UINT, .u = sv->cnt.tasks_revoked },
		{ "workers_recycled", F_UINT, .u = sv->cnt.workers_recycled },
		{ "pid", F_UINT, .u = (uint64_t)sv->pid },
		{ "workers", F_UINT, .u = (uint64_t)sv->conf.workers },
		{ "workers_ready", F_UINT, .u = (uint64_t)pool_ready() },
		{ "workers_busy", F_UINT, .u = (uint64_t)dispatch_busy() },
		{ "queued", F_UINT, .u = sv->nqueued },
		{ "running", F_UINT, .u = sv->nactive - sv->nqueued },
		{ "connections", F_UINT, .u = sv->nconns },
		{ "shm_connections", F_UINT, .u = cf.shm_conns },
		{ "shm_bytes", F_UINT, .u = cf.shm_bytes },
		{ "fds_dropped", F_UINT, .u = cf.fds_dropped },
		{ "spin_us", F_UINT, .u = spin_us },
		{ "workers_spinning", F_UINT, .u = (uint64_t)spinners },
		{ "batch_us", F_UINT, .u = dispatch_lazy_ns() / 1000 },
		{ "tasks_ok", F_UINT, .u = sv->cnt.tasks_ok },
		{ "tasks_failed", F_UINT, .u = sv->cnt.tasks_failed },
		{ "worker_crashes", F_UINT, .u = sv->cnt.worker_crashes },
		{ "rejected_queue_full", F_UINT, .u = sv->cnt.rejected_full },
		{ "worker_protocol_errors", F_UINT, .u = sv->cnt.worker_protocol_errors },
		{ "uptime_s", F_DOUBLE,
		    .d = (double)(now - sv->started_ns) / 1e9 },
		{ "accept_paused", F_BOOL, .u = (uint64_t)cf.accept_paused },
		{ "window", F_STR, .s = stats_window_name(win) },
		{ "log_dropped", F_UINT, .u = st.log_dropped },
		{ "oldest_running_us", F_UINT, .u = st.oldest_running_us },
		{ "claims_refused", F_UINT, .u = st.claims_refused },
		{ "bytes_received", F_UINT, .u = sv->cnt.bytes_received },
		{ "bytes_sent", F_UINT, .u = sv->cnt.bytes_sent },
		{ "bytes_copied", F_UINT,
		    .u = sv->cnt.bytes_copied + st.copy_bytes },
	};

	if ((b = control_result(c, m->msgid)) == NULL)
		return;
	put_fields(b, f, NFIELDS(f), 2);
	fp_mp_put_cstr(b, "handlers");
	put_handlers(b, win);
	fp_mp_put_cstr(b, "sources");
	put_sources(b);
	control_result_done(c);
}

/* forkpool.workers: one map per slot in use. */
static void
admin_workers(struct conn *c, const struct rpc_msg *m)
{
	struct stats_worker sw;
	struct fp_buf	*b;
	struct worker	*w;
	uint64_t	 now = fp_now_ns();
	uint32_t	 n = 0;
	int		 i;

	if (!params_none(c, m) || (b = control_result(c, m->msgid)) == NULL)
		return;
#define IN_USE(w)	((w)->state != W_EMPTY || (w)->respawn)
	for (i = 0; i < sv->nslots; i++)
		if (IN_USE(&sv->workers[i]))
			n++;
	fp_mp_put_array(b, n);
	for (i = 0; i < sv->nslots; i++) {
		w = &sv->workers[i];
		if (!IN_USE(w))
			continue;
		stats_worker_get(w, now, &sw);
		const struct field f[] = {
			{ "slot", F_UINT, .u = (uint64_t)w->slot },
			{ "pid", F_UINT, .u = w->state != W_EMPTY &&
			    w->pid > 0 ? (uint64_t)w->pid : 0 },
			{ "generation", F_UINT, .u = w->generation },
			{ "state", F_STR, .s = pool_state_name(w) },
			{ "handler", sw.busy && handler_name(sw.handler) ?
			    F_STR : F_NIL, .s = handler_name(sw.handler) },
			{ "running_us", F_UINT, .u = sw.running_us },
			{ "tasks", F_UINT, .u = sw.tasks },
			{ "failures", F_UINT, .u = sw.failures },
			{ "rss_bytes", F_UINT, .u = w->state != W_EMPTY ?
			    pool_rss_bytes(w) : 0 },
			{ "age_s", F_DOUBLE, .d = w->state != W_EMPTY &&
			    now > w->spawned_ns ?
			    (double)(now - w->spawned_ns) / 1e9 : 0 },
		};

		put_fields(b, f, NFIELDS(f), 0);
	}
#undef IN_USE
	control_result_done(c);
}

/*
 * forkpool.slowlog [count]: the newest entries first, SLOWLOG_PER_CALL at
 * most.  The params and corr of other users' tasks are not for everyone:
 * only callers who may reload see them, the others get nil.
 */
static void
admin_slowlog(struct conn *c, const struct rpc_msg *m)
{
	struct fp_mp_reader r;
	const struct slowlog_entry *e;
	struct fp_buf	*b;
	uint64_t	 want = SLOWLOG_DEFAULT;
	uint32_t	 n, i, k;
	int		 all = control_admin_allowed(c);

	if (params_open(m, &r, &n) == -1 || n > 1 ||
	    (n == 1 && fp_mp_read_uint(&r, &want) == -1)) {
		control_error(c, m->msgid, FP_E_INVALID_PARAMS,
		    "params must be [] or [count], count an integer >= 0");
		return;
	}
	if (want > sv->conf.slowlog_max_len)
		want = sv->conf.slowlog_max_len;
	if (want > SLOWLOG_PER_CALL)
		want = SLOWLOG_PER_CALL;
	for (k = 0; k < want && stats_slowlog(k) != NULL; k++)
		;
	if ((b = control_result(c, m->msgid)) == NULL)
		return;
	fp_mp_put_array(b, k);
	for (i = 0; i < k; i++) {
		e = stats_slowlog(i);
		const struct field f[] = {
			{ "id", F_UINT, .u = e->id },
			{ "ts", F_DOUBLE, .d = e->ts },
			{ "handler", F_STR, .s = handler_name(e->handler) ?
			    handler_name(e->handler) : "?" },
			{ "corr", all && e->corr[0] ? F_STR : F_NIL,
			    .s = e->corr },
			{ "wait_us", F_UINT, .u = e->wait_us },
			{ "run_us", F_UINT, .u = e->run_us },
			{ "worker", F_UINT, .u = (uint64_t)e->worker },
			{ "pid", F_UINT, .u = (uint64_t)e->pid },
			{ "running", F_BOOL, .u = (uint64_t)e->running },
			{ "params", all && e->plen ? F_RAW : F_NIL,
			    .u = e->plen, .s = (const char *)e->params },
		};

		put_fields(b, f, NFIELDS(f), 0);
	}
	control_result_done(c);
}

/* forkpool.slowlog_reset: the number of entries removed. */
static void
admin_slowlog_reset(struct conn *c, const struct rpc_msg *m)
{
	struct fp_buf	*b;
	uint32_t	 n;

	if (!control_admin_check(c, m->msgid, "forkpool.slowlog_reset") ||
	    !params_none(c, m))
		return;
	for (n = 0; stats_slowlog(n) != NULL; n++)
		;
	stats_slowlog_reset();
	log_info("slowlog_reset", "removed=%u", n);
	if ((b = control_result(c, m->msgid)) == NULL)
		return;
	fp_mp_put_uint(b, n);
	control_result_done(c);
}

/* forkpool.metrics: the Prometheus text of metrics.c, as one string. */
static void
admin_metrics(struct conn *c, const struct rpc_msg *m)
{
	struct fp_buf	 t;
	struct fp_buf	*b;

	if (!params_none(c, m))
		return;
	memset(&t, 0, sizeof(t));
	if (metrics_render(&t, fp_now_ns()) == -1) {
		fp_buf_free(&t);
		control_error(c, m->msgid, FP_E_INTERNAL,
		    "out of memory for the metrics");
		return;
	}
	if ((b = control_result(c, m->msgid)) != NULL) {
		fp_mp_put_str(b, (const char *)fp_buf_head(&t),
		    fp_buf_unread(&t));
		control_result_done(c);
	}
	fp_buf_free(&t);
}

/*
 * forkpool.breakers: [{handler, state, failures, opened_s_ago}, ...] for
 * the enabled handlers.
 */
static void
admin_breakers(struct fp_buf *b)
{
	struct breaker_status st;
	uint64_t	 now = fp_now_ns();
	uint32_t	 h, n = 0;

	/* The table has the handlers there were at start-up. */
	for (h = 0; breaker_table_status(h, now, &st) == 0; h++)
		if (handler_get(h) != NULL)
			n++;
	fp_mp_put_array(b, n);
	for (h = 0; breaker_table_status(h, now, &st) == 0; h++) {
		if (handler_get(h) == NULL)
			continue;
		const struct field f[] = {
			{ "handler", F_STR, .s = handler_get(h)->name },
			{ "state", F_STR, .s = st.state },
			{ "failures", F_UINT, .u = st.failures },
			{ "opened_s_ago", st.open ? F_DOUBLE : F_NIL,
			    .d = st.open_s },
		};

		put_fields(b, f, NFIELDS(f), 0);
	}
}

/* forkpool.reload -> {generation, warnings}, or the file's problem. */
static void
admin_reload(struct conn *c, const struct rpc_msg *m)
{
	struct reload_result rr;
	struct fp_buf	*b;
	char		 msg[PATH_MAX + 256];
	uint64_t	 wait_ms;

	if (!control_admin_check(c, m->msgid, "forkpool.reload") ||
	    !params_none(c, m))
		return;
	if (reload_admit(sv->now_ns, &wait_ms) == -1) {
		snprintf(msg, sizeof(msg), "too many reloads: at most %d at "
		    "once, then one a second; retry in %llu ms", RELOAD_BURST,
		    (unsigned long long)wait_ms);
		control_error(c, m->msgid, FP_E_QUEUE_FULL, msg);
		return;
	}
	memset(&rr, 0, sizeof(rr));
	switch (reload(&rr, msg, sizeof(msg))) {
	case RELOAD_APPLIED:
		break;
	case RELOAD_SHUTTING_DOWN:
		control_error(c, m->msgid, FP_E_SHUTTING_DOWN, msg);
		return;
	case RELOAD_BAD_FILE:
		control_error(c, m->msgid, FP_E_BAD_REQUEST, msg);
		return;
	}
	const struct field f[] = {
		{ "generation", F_UINT, .u = rr.generation },
		{ "warnings", F_STRS, .u = (uint64_t)rr.nwarn, .s = rr.warn[0],
		    .stride = sizeof(rr.warn[0]) },
	};

	if ((b = control_result(c, m->msgid)) == NULL)
		return;
	put_fields(b, f, NFIELDS(f), 0);
	control_result_done(c);
}

void
admin_method(struct conn *c, const struct rpc_msg *m)
{
	const char	*name = m->method + 9;
	size_t		 n = m->mlen - 9;
	struct fp_buf	*b;
	uint32_t	 i, cnt;

#define IS(s)	(n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
	if (IS("stats"))
		admin_stats(c, m);
	else if (IS("workers"))
		admin_workers(c, m);
	else if (IS("slowlog"))
		admin_slowlog(c, m);
	else if (IS("slowlog_reset"))
		admin_slowlog_reset(c, m);
	else if (IS("reload"))
		admin_reload(c, m);
	else if (IS("metrics"))
		admin_metrics(c, m);
	else if (IS("ping") || IS("handlers") || IS("breakers")) {
		if (!params_none(c, m) ||
		    (b = control_result(c, m->msgid)) == NULL)
			return;
		if (IS("ping"))
			fp_mp_put_cstr(b, "pong");
		else if (IS("handlers")) {
			for (i = cnt = 0; i < handler_count(); i++)
				if (handler_get(i) != NULL)
					cnt++;
			fp_mp_put_array(b, cnt);
			for (i = 0; i < handler_count(); i++)
				if (handler_get(i) != NULL)
					fp_mp_put_cstr(b, handler_get(i)->name);
		} else
			admin_breakers(b);
		control_result_done(c);
	} else
		control_error(c, m->msgid, FP_E_NO_SUCH_METHOD,
		    "no such method");
#undef IS
}
