/*
 * plugin_host.c -- what the daemon offers plug-ins (struct fp_host):
 * typed errors, logging, the deadline, raw result bytes and the JSON
 * codecs; and plugin_call(), which runs a plug-in handler in a worker and
 * checks what it wrote.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "forkpool.h"
#include "clock.h"
#include "handlers.h"
#include "json.h"
#include "log.h"
#include "plugin.h"
#include "proto.h"

/* The handler context a struct fp_call belongs to. */
static struct fp_hctx *
hctx_of(const struct fp_call *call)
{
	return (struct fp_hctx *)((char *)call -
	    offsetof(struct fp_hctx, call));
}

static int
host_error(struct fp_call *call, int code, const char *fmt, ...)
{
	struct fp_hctx	*hc = hctx_of(call);
	char		 msg[sizeof(hc->errmsg)];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt != NULL ? fmt : "", ap);
	va_end(ap);
	switch (code) {
	case FP_E_INVALID_PARAMS:
	case FP_E_HANDLER_ERROR:
	case FP_E_TOO_LARGE:
	case FP_E_TIMEOUT:
	case FP_E_INTERNAL:
		return hctx_error(hc, code, "%s", msg);
	default:
		/* Codes the daemon itself decides (queue_full, ...) are not
		 * a handler's to give: a client would act on them wrongly. */
		return hctx_error(hc, FP_E_INTERNAL, "%s (the handler gave "
		    "error code %d, which handlers may not use)", msg, code);
	}
}

static void
host_log(const struct fp_host *host, int level, const char *event,
    const char *fmt, ...)
{
	char		 ev[48], fields[1024] = "", q[96];
	const char	*name = host != NULL && host->plugin != NULL ?
			    host->plugin : "?";
	size_t		 i;
	va_list		 ap;

	/* The event is one logfmt word whatever the plug-in passed. */
	for (i = 0; event != NULL && event[i] != '\0' && i < sizeof(ev) - 1;
	    i++)
		ev[i] = (event[i] > ' ' && event[i] < 0x7f && event[i] != '=' &&
		    event[i] != '"' && event[i] != '\\') ? event[i] : '_';
	ev[i] = '\0';
	if (i == 0)
		strlcpy(ev, "plugin_log", sizeof(ev));
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(fields, sizeof(fields), fmt, ap);
		va_end(ap);
	}
	name = log_quote(name, q, sizeof(q));
	switch (level) {
	case FP_LOG_ERROR:
		log_error(ev, "plugin=%s%s%s", name, *fields ? " " : "", fields);
		break;
	case FP_LOG_WARNING:
		log_warnx(ev, "plugin=%s%s%s", name, *fields ? " " : "", fields);
		break;
	case FP_LOG_INFO:
		log_info(ev, "plugin=%s%s%s", name, *fields ? " " : "", fields);
		break;
	default:
		log_debug(ev, "plugin=%s%s%s", name, *fields ? " " : "", fields);
		break;
	}
}

static uint64_t
host_remaining_ns(const struct fp_call *call)
{
	uint64_t	 now;

	if (call->deadline_ns == 0)
		return UINT64_MAX;
	now = fp_now_ns();
	return now >= call->deadline_ns ? 0 : call->deadline_ns - now;
}

static int
host_write_raw(struct fp_call *call, const void *mp, size_t len)
{
	msgpack_packer	*pk = hctx_of(call)->pk;

	return pk->callback(pk->data, mp, len) == 0 ? 0 : -1;
}

/*
 * What host_json_encode and host_json_decode give back: the text or value
 * in b (the caller's to free from then on), or the error, b freed.
 */
static int
json_out(struct fp_json_out *out, struct fp_buf *b, size_t full_len,
    const char *error, size_t offset)
{
	memset(out, 0, sizeof(*out));
	if (error != NULL) {
		fp_buf_free(b);
		out->error = error;
		out->offset = offset;
		return -1;
	}
	out->data = b->data;
	out->len = b->len;
	out->full_len = full_len;
	return 0;
}

static int
host_json_encode(const void *mp, size_t len, const struct fp_json_enc_opts *po,
    struct fp_json_out *out)
{
	struct fp_json_enc_options	 o;
	struct fp_json_enc_result	 res;
	struct fp_buf		 b = { 0 };
	const unsigned		 known = FP_JSON_NAN_ERROR | FP_JSON_UTF8_ERROR |
				    FP_JSON_ASCII | FP_JSON_SORT_KEYS;

	fp_json_enc_options_init(&o);
	if (po != NULL && (po->flags & ~known) != 0)
		return json_out(out, &b, 0, fp_json_errname(JSON_E_INVAL), 0);
	if (po != NULL) {
		o.indent = po->indent;
		o.max_size = po->max_size;
		o.truncate = po->truncate;
		o.nan = (po->flags & FP_JSON_NAN_ERROR) ? JSON_NAN_ERROR :
		    JSON_NAN_NULL;
		o.utf8 = (po->flags & FP_JSON_UTF8_ERROR) ? JSON_UTF8_ERROR :
		    JSON_UTF8_REPLACE;
		o.ascii = (po->flags & FP_JSON_ASCII) != 0;
		o.sort_keys = (po->flags & FP_JSON_SORT_KEYS) != 0;
		o.max_depth = po->max_depth;
	}
	if (fp_json_encode(mp, len, &o, &b, &res, NULL, 0) == -1 ||
	    fp_buf_reserve(&b, 1) == -1)
		return json_out(out, &b, 0, fp_json_errname(res.error != 0 ?
		    res.error : JSON_E_NOMEM), res.error_off);
	b.data[b.len] = '\0';
	json_out(out, &b, res.full_len, NULL, 0);
	out->truncated = res.truncated;
	return 0;
}

static int
host_json_decode(const void *text, size_t len,
    const struct fp_json_dec_opts *po, struct fp_json_out *out)
{
	struct fp_json_dec_options	 o;
	struct fp_json_dec_error	 e;
	struct fp_buf		 b = { 0 };

	fp_json_dec_options_init(&o);
	if (po != NULL) {
		o.max_size = po->max_size;
		o.max_depth = po->max_depth;
		o.bignum = po->bignum;
		o.dup_keys = po->dup_keys;
	}
	if (fp_json_decode(text, len, &o, &b, &e) == -1) {
		json_out(out, &b, 0, fp_json_errname(e.code), e.offset);
		out->line = e.line;
		out->column = e.column;
		return -1;
	}
	return json_out(out, &b, b.len, NULL, 0);
}

void
plugin_host_init(struct fp_host *host, const char *name)
{
	memset(host, 0, sizeof(*host));
	host->abi_version = FP_PLUGIN_ABI_VERSION;
	host->struct_size = sizeof(*host);
	host->plugin = name;
	host->daemon_version = FP_VERSION;
	host->error = host_error;
	host->log = host_log;
	host->remaining_ns = host_remaining_ns;
	host->write_raw = host_write_raw;
	host->json_encode = host_json_encode;
	host->json_decode = host_json_decode;
}

int
plugin_call(const struct handler *h, struct fp_hctx *hc,
    const msgpack_object *params, const msgpack_sbuffer *sb)
{
	hc->call.host = h->host;
	hc->call.handler = h->name;
	hc->call.state = h->state;
	hc->call.pk = hc->pk;
	hc->call.raw = hc->raw;
	hc->call.rawlen = hc->rawlen;
	hc->call.deadline_ns = hc->deadline_ns;
	if (h->pfn(&hc->call, params) != 0 || hc->err != 0) {
		if (hc->err == 0)
			hctx_error(hc, FP_E_INTERNAL, "handler %s failed "
			    "without an error message", h->name);
		return -1;
	}
	if (sb->size == 0)
		return hctx_error(hc, FP_E_INTERNAL, "handler %s returned "
		    "no result", h->name);
	if (fp_mp_object_len((const uint8_t *)sb->data, sb->size, 1) < 0)
		return hctx_error(hc, FP_E_INTERNAL, "handler %s wrote a "
		    "result that is not exactly one MessagePack object",
		    h->name);
	return 0;
}
