/*
 * test_aggregate.c -- the example plug-in src/plugins/aggregate.c, loaded
 * with dlopen(3) from the build (BUILDDIR/plugins/aggregate.so, found next
 * to this binary, BUILDDIR/tests/, or named by FP_AGGREGATE_SO) and called
 * the way a worker calls it: params packed by msgpack-c (or by the JSON
 * decoder, for readability), run through plugin_call() with the daemon's
 * host services (plugin_host_init) except for log and remaining_ns, which
 * are fakes the test controls.
 *
 * Covers the descriptor, init and its argument, every op, "by" as a name,
 * a list and empty, missing and nil values, integer overflow of sum, the
 * types of min and max, mixed comparisons, every error message, the
 * max-groups limit, the deadline, group_json, and a randomized comparison
 * with a reference implementation (seed from AGG_SEED, else the clock;
 * printed on failure).
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "forkpool.h"
#include "forkpool_plugin.h"
#include "handlers.h"
#include "plugin.h"
#include "check.h"

static const struct fp_plugin *plug;
static struct fp_host	 host;
static uint64_t		(*real_remaining_ns)(const struct fp_call *);
static void		*state;

static msgpack_sbuffer	 in, out;
static msgpack_packer	 pin, pout;
static msgpack_zone	 zone;
static msgpack_object	 result;
static char		 errmsg[256];
static uint64_t		 call_deadline_ns;

/* The fake log: the last line, and how many. */
static char		 log_event[64], log_fields[256];
static int		 log_count;

/* The fake remaining_ns: what it returns, and how often it was asked. */
static uint64_t		 remaining = UINT64_MAX;
static int		 remaining_calls;

static unsigned int	 seed;

static void __attribute__((format(printf, 4, 5)))
fake_log(const struct fp_host *h, int level, const char *event,
    const char *fmt, ...)
{
	va_list	 ap;

	snprintf(log_event, sizeof(log_event), "%s", event);
	log_fields[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(log_fields, sizeof(log_fields), fmt, ap);
		va_end(ap);
	}
	log_count++;
}

static uint64_t
fake_remaining_ns(const struct fp_call *call)
{
	remaining_calls++;
	return remaining;
}

/* BUILDDIR/plugins/aggregate.so, BUILDDIR being the parent of our dir. */
static void
plugin_path(char *path, size_t len)
{
	const char *e = getenv("FP_AGGREGATE_SO");
	char	 exe[PATH_MAX], *s;
	ssize_t	 n;
	int	 i;

	if (e != NULL && *e != '\0') {
		snprintf(path, len, "%s", e);
		return;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0) {
		snprintf(path, len, "build/plugins/aggregate.so");
		return;
	}
	exe[n] = '\0';
	for (i = 0; i < 2 && (s = strrchr(exe, '/')) != NULL; i++)
		*s = '\0';
	snprintf(path, len, "%s/plugins/aggregate.so", exe);
}

static const struct fp_plugin_handler *
find_handler(const char *name)
{
	const struct fp_plugin_handler *ph;

	for (ph = plug->handlers; ph->name != NULL; ph++)
		if (strcmp(ph->name, name) == 0)
			return ph;
	return NULL;
}

/*
 * Call the handler `name' with the params packed in `in', state st.
 * Returns 0 with the result in `result' (and its bytes in `out'), the
 * error code with its message in errmsg, or -1 if the harness failed.
 */
static int
call_st(const char *name, void *st)
{
	const struct fp_plugin_handler *ph;
	struct handler	 h;
	struct fp_hctx	 hc;
	msgpack_object	 params;
	size_t		 off = 0;

	if ((ph = find_handler(name)) == NULL)
		return -1;
	memset(&h, 0, sizeof(h));
	h.name = ph->name;
	h.pfn = ph->fn;
	h.flags = HF_PLUGIN;
	h.state = st;
	h.host = &host;
	msgpack_sbuffer_clear(&out);
	msgpack_zone_clear(&zone);
	memset(&hc, 0, sizeof(hc));
	hc.pk = &pout;
	hc.deadline_ns = call_deadline_ns;
	hc.raw = (const uint8_t *)in.data;
	hc.rawlen = in.size;
	errmsg[0] = '\0';
	if (msgpack_unpack(in.data, in.size, &off, &zone, &params) !=
	    MSGPACK_UNPACK_SUCCESS || params.type != MSGPACK_OBJECT_ARRAY)
		return -1;
	if (plugin_call(&h, &hc, &params, &out) == -1) {
		snprintf(errmsg, sizeof(errmsg), "%s", hc.errmsg);
		return hc.err != 0 ? hc.err : -1;
	}
	off = 0;
	if (msgpack_unpack(out.data, out.size, &off, &zone, &result) !=
	    MSGPACK_UNPACK_SUCCESS || off != out.size)
		return -1;
	return 0;
}

static int
call(const char *name)
{
	return call_st(name, state);
}

/* Pack the JSON text into `in' (with the daemon's decoder). */
static int
pack_json(const char *json)
{
	struct fp_json_out o;

	msgpack_sbuffer_clear(&in);
	if (host.json_decode(json, strlen(json), NULL, &o) == -1) {
		fprintf(stderr, "bad JSON in the test: %s at %u:%u: %s\n",
		    o.error, o.line, o.column, json);
		return -1;
	}
	msgpack_sbuffer_write(&in, (const char *)o.data, o.len);
	free(o.data);
	return 0;
}

/* The result as compact JSON text (static buffer). */
static const char *
result_json(void)
{
	static char	 text[65536];
	struct fp_json_out o;

	if (host.json_encode(out.data, out.size, NULL, &o) == -1) {
		snprintf(text, sizeof(text), "(cannot encode: %s)", o.error);
		return text;
	}
	snprintf(text, sizeof(text), "%s", (const char *)o.data);
	free(o.data);
	return text;
}

/* `handler' with JSON params succeeds with the JSON result `want'. */
#define OK(handler, params, want) ok_json(__LINE__, handler, params, want)
static void
ok_json(int line, const char *handler, const char *params, const char *want)
{
	int	 rc;

	if (pack_json(params) == -1) {
		CHECK(!"bad test JSON");
		return;
	}
	rc = call(handler);
	if (rc != 0) {
		fprintf(stderr, "line %d: %s %s: error %d %s\n", line, handler,
		    params, rc, errmsg);
		CHECK(rc == 0);
		return;
	}
	if (want != NULL && strcmp(result_json(), want) != 0) {
		fprintf(stderr, "line %d: %s %s:\n  got  %s\n  want %s\n",
		    line, handler, params, result_json(), want);
		CHECK(!"result as expected");
		return;
	}
	CHECK(1);
}

/* `handler' with the params in `in' fails with `code' and `msg' in it. */
#define ERR_IN(handler, code, msg) err_in(__LINE__, handler, code, msg, "")
static void
err_in(int line, const char *handler, int code, const char *msg,
    const char *params)
{
	int	 rc = call(handler);

	if (rc != code || strstr(errmsg, msg) == NULL) {
		fprintf(stderr, "line %d: %s %s:\n  got  error %d \"%s\"%s%s\n"
		    "  want error %d with \"%s\"\n", line, handler, params, rc,
		    errmsg, rc == 0 ? " result " : "",
		    rc == 0 ? result_json() : "", code, msg);
		CHECK(!"error as expected");
		return;
	}
	CHECK(1);
}

#define ERR(handler, params, code, msg) \
	err_json(__LINE__, handler, params, code, msg)
static void
err_json(int line, const char *handler, const char *params, int code,
    const char *msg)
{
	if (pack_json(params) == -1) {
		CHECK(!"bad test JSON");
		return;
	}
	err_in(line, handler, code, msg, params);
}

/* The value of `key' in row `row' of the result, or NULL. */
static const msgpack_object *
cell(uint32_t row, const char *key)
{
	const msgpack_object *r;
	uint32_t i;

	if (result.type != MSGPACK_OBJECT_ARRAY || row >= result.via.array.size)
		return NULL;
	r = &result.via.array.ptr[row];
	if (r->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (i = 0; i < r->via.map.size; i++)
		if (r->via.map.ptr[i].key.type == MSGPACK_OBJECT_STR &&
		    r->via.map.ptr[i].key.via.str.size == strlen(key) &&
		    memcmp(r->via.map.ptr[i].key.via.str.ptr, key,
		    strlen(key)) == 0)
			return &r->via.map.ptr[i].val;
	return NULL;
}

static int
is_int(const msgpack_object *o, int64_t v)
{
	if (o == NULL)
		return 0;
	if (v >= 0)
		return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    o->via.u64 == (uint64_t)v;
	return o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && o->via.i64 == v;
}

static int
is_uint(const msgpack_object *o, uint64_t v)
{
	return o != NULL && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.u64 == v;
}

static int
is_float(const msgpack_object *o, double v)
{
	return o != NULL && (o->type == MSGPACK_OBJECT_FLOAT64 ||
	    o->type == MSGPACK_OBJECT_FLOAT32) && o->via.f64 == v;
}

static int
is_nil(const msgpack_object *o)
{
	return o != NULL && o->type == MSGPACK_OBJECT_NIL;
}

static int
nrows(void)
{
	return result.type == MSGPACK_OBJECT_ARRAY ?
	    (int)result.via.array.size : -1;
}

/* ---- the descriptor, init, worker_init ---------------------------------- */

/* Pack the aggregate `name': [op] or [op, field] into `in'. */
static void
pack_agg(const char *name, const char *op, const char *field)
{
	msgpack_pack_str_with_body(&pin, name, strlen(name));
	msgpack_pack_array(&pin, field != NULL ? 2 : 1);
	msgpack_pack_str_with_body(&pin, op, strlen(op));
	if (field != NULL)
		msgpack_pack_str_with_body(&pin, field, strlen(field));
}

static void
test_descriptor(void)
{
	const struct fp_plugin_handler *ph;

	CHECK(plug->abi_version == FP_PLUGIN_ABI_VERSION);
	CHECK(plug->struct_size == sizeof(struct fp_plugin));
	CHECK(plug->name != NULL && strcmp(plug->name, "aggregate") == 0);
	CHECK(plug->version != NULL && strcmp(plug->version, "1.0") == 0);
	CHECK(plug->init != NULL && plug->worker_init != NULL &&
	    plug->fini != NULL);
	CHECK(plug->handlers != NULL);
	ph = plug->handlers;
	CHECK(ph[0].name != NULL && strcmp(ph[0].name, "aggregate.group") == 0 &&
	    ph[0].fn != NULL && ph[0].flags == 0);
	CHECK(ph[1].name != NULL &&
	    strcmp(ph[1].name, "aggregate.group_json") == 0 &&
	    ph[1].fn != NULL && ph[1].flags == 0);
	CHECK(ph[2].name == NULL);
}

/* init with `arg' must fail with a message naming it. */
static void
init_bad(const char *arg)
{
	char	 err[256] = "";
	void	*st = (void *)&st;
	int	 n = log_count;

	CHECK(plug->init(&host, arg, &st, err, sizeof(err)) == -1);
	CHECK(st == (void *)&st);		/* untouched */
	CHECK(log_count == n);			/* no "ready" line */
	if (strstr(err, "bad argument") == NULL || strstr(err, arg) == NULL ||
	    strstr(err, "expected max-groups=N") == NULL) {
		fprintf(stderr, "init(\"%s\"): \"%s\"\n", arg, err);
		CHECK(!"init error names the argument");
	}
}

/* init with `arg' must succeed; returns the state. */
static void *
init_ok(const char *arg, const char *want_fields)
{
	char	 err[256] = "";
	void	*st = NULL;

	log_event[0] = '\0';
	CHECK(plug->init(&host, arg, &st, err, sizeof(err)) == 0);
	CHECK(st != NULL);
	CHECK(strcmp(log_event, "aggregate_ready") == 0);
	if (strcmp(log_fields, want_fields) != 0) {
		fprintf(stderr, "init(%s): log \"%s\", want \"%s\"\n",
		    arg != NULL ? arg : "NULL", log_fields, want_fields);
		CHECK(!"init logs max_groups");
	}
	return st;
}

static void
test_init(void)
{
	char	 err[256];
	void	*st;

	state = init_ok(NULL, "max_groups=1000000");
	st = init_ok("max-groups=1", "max_groups=1");
	plug->fini(&host, st);
	st = init_ok("max-groups=4294967294", "max_groups=4294967294");
	plug->fini(&host, st);
	init_bad("");
	init_bad("max-groups");
	init_bad("max-groups=");
	init_bad("max-groups=0");
	init_bad("max-groups=abc");
	init_bad("max-groups=5x");
	init_bad("max-groups= 5");
	init_bad("max-groups=+5");
	init_bad("max-groups=-1");
	init_bad("max-groups=4294967295");
	init_bad("max-groups=99999999999999999999999");
	init_bad("max_groups=5");
	init_bad("groups=5");
	init_bad("max-groups=5 ");
	/* Once, as in a worker (a second call would drop its buffer). */
	CHECK(plug->worker_init(&host, state, err, sizeof(err)) == 0);
}

/* ---- the ops ---------------------------------------------------------- */

#define RECS \
	"[{\"k\":\"a\",\"v\":1,\"w\":\"x\"},{\"k\":\"b\",\"v\":2.5}," \
	"{\"k\":\"a\",\"v\":3,\"w\":null},{\"k\":\"a\"},{\"k\":\"b\",\"v\":-4}," \
	"{\"v\":7,\"w\":true}]"

static void
test_ops(void)
{
	/* Every op, in spec order, groups in order of first appearance. */
	OK("aggregate.group", "[" RECS ",{\"by\":\"k\",\"aggregates\":{"
	    "\"n\":[\"count\"],\"nw\":[\"count\",\"w\"],\"nv\":[\"count\",\"v\"],"
	    "\"s\":[\"sum\",\"v\"],\"a\":[\"avg\",\"v\"],"
	    "\"lo\":[\"min\",\"v\"],\"hi\":[\"max\",\"v\"]}}]",
	    "[{\"k\":\"a\",\"n\":3,\"nw\":1,\"nv\":2,\"s\":4,\"a\":2,\"lo\":1,"
	    "\"hi\":3},"
	    "{\"k\":\"b\",\"n\":2,\"nw\":0,\"nv\":2,\"s\":-1.5,\"a\":-0.75,"
	    "\"lo\":-4,\"hi\":2.5},"
	    "{\"k\":null,\"n\":1,\"nw\":1,\"nv\":1,\"s\":7,\"a\":7,\"lo\":7,"
	    "\"hi\":7}]");
	/* Types: sum of integers is an integer, avg always a float, min and
	 * max as they were. */
	CHECK(nrows() == 3);
	CHECK(is_int(cell(0, "s"), 4) && is_float(cell(0, "a"), 2.0));
	CHECK(is_int(cell(0, "lo"), 1) && is_int(cell(0, "hi"), 3));
	CHECK(is_float(cell(1, "s"), -1.5) && is_float(cell(1, "a"), -0.75));
	CHECK(is_int(cell(1, "lo"), -4) && is_float(cell(1, "hi"), 2.5));
	CHECK(is_uint(cell(0, "n"), 3) && is_uint(cell(1, "nw"), 0));
	CHECK(is_nil(cell(2, "k")));

	/* "by" as a one-element list is the same as a name. */
	OK("aggregate.group", "[" RECS ",{\"by\":[\"k\"],\"aggregates\":{"
	    "\"n\":[\"count\"]}}]",
	    "[{\"k\":\"a\",\"n\":3},{\"k\":\"b\",\"n\":2},{\"k\":null,\"n\":1}]");
	/* The spec's keys in either order. */
	OK("aggregate.group", "[" RECS ",{\"aggregates\":{\"n\":[\"count\"]},"
	    "\"by\":\"k\"}]",
	    "[{\"k\":\"a\",\"n\":3},{\"k\":\"b\",\"n\":2},{\"k\":null,\"n\":1}]");
	/* An empty "by": one group of everything. */
	OK("aggregate.group", "[" RECS ",{\"by\":[],\"aggregates\":{"
	    "\"n\":[\"count\"],\"s\":[\"sum\",\"v\"],\"lo\":[\"min\",\"v\"]}}]",
	    "[{\"n\":6,\"s\":9.5,\"lo\":-4}]");
	CHECK(is_int(cell(0, "lo"), -4));
	/* ... and no records: no rows. */
	OK("aggregate.group", "[[],{\"by\":[],\"aggregates\":{"
	    "\"n\":[\"count\"]}}]", "[]");
	OK("aggregate.group", "[[],{\"by\":\"k\",\"aggregates\":{"
	    "\"n\":[\"count\"]}}]", "[]");
	/* A group without values: count 0, the others nil. */
	OK("aggregate.group", "[[{\"k\":1},{\"k\":1,\"v\":null}],{\"by\":\"k\","
	    "\"aggregates\":{\"n\":[\"count\",\"v\"],\"s\":[\"sum\",\"v\"],"
	    "\"a\":[\"avg\",\"v\"],\"lo\":[\"min\",\"v\"],\"hi\":[\"max\","
	    "\"v\"]}}]",
	    "[{\"k\":1,\"n\":0,\"s\":null,\"a\":null,\"lo\":null,\"hi\":null}]");
	/* count with a field counts non-nil values of any type. */
	OK("aggregate.group", "[[{\"w\":\"s\"},{\"w\":[1]},{\"w\":{}},"
	    "{\"w\":false},{\"w\":0},{\"w\":null},{}],{\"by\":[],"
	    "\"aggregates\":{\"n\":[\"count\",\"w\"],\"all\":[\"count\"]}}]",
	    "[{\"n\":5,\"all\":7}]");
}

static void
test_by(void)
{
	/* Several fields; a missing field and nil are the same key, and the
	 * row shows the group's first record's values. */
	OK("aggregate.group", "[[{\"a\":1,\"b\":\"x\",\"v\":1},"
	    "{\"b\":\"x\",\"a\":1,\"v\":2},{\"a\":1,\"v\":4},"
	    "{\"a\":1,\"b\":null,\"v\":8},{\"a\":2,\"b\":\"x\",\"v\":16},"
	    "{\"v\":32},{\"a\":null,\"b\":null,\"v\":64}],"
	    "{\"by\":[\"a\",\"b\"],\"aggregates\":{\"s\":[\"sum\",\"v\"],"
	    "\"n\":[\"count\"]}}]",
	    "[{\"a\":1,\"b\":\"x\",\"s\":3,\"n\":2},"
	    "{\"a\":1,\"b\":null,\"s\":12,\"n\":2},"
	    "{\"a\":2,\"b\":\"x\",\"s\":16,\"n\":1},"
	    "{\"a\":null,\"b\":null,\"s\":96,\"n\":2}]");
	/* Keys compare as MessagePack: 1 and 1.0 and "1" differ; values of
	 * any type group, arrays and maps too. */
	OK("aggregate.group", "[[{\"k\":1},{\"k\":1.0},{\"k\":\"1\"},"
	    "{\"k\":1},{\"k\":[1,2]},{\"k\":{\"x\":1}},{\"k\":[1,2]},"
	    "{\"k\":true},{\"k\":false},{\"k\":-1}],"
	    "{\"by\":\"k\",\"aggregates\":{\"n\":[\"count\"]}}]",
	    "[{\"k\":1,\"n\":2},{\"k\":1,\"n\":1},{\"k\":\"1\",\"n\":1},"
	    "{\"k\":[1,2],\"n\":2},{\"k\":{\"x\":1},\"n\":1},"
	    "{\"k\":true,\"n\":1},{\"k\":false,\"n\":1},{\"k\":-1,\"n\":1}]");
	CHECK(is_int(cell(0, "k"), 1) && is_float(cell(1, "k"), 1.0));
	/* 16 "by" fields are allowed. */
	OK("aggregate.group", "[[{\"f1\":1,\"f16\":2}],{\"by\":[\"f1\","
	    "\"f2\",\"f3\",\"f4\",\"f5\",\"f6\",\"f7\",\"f8\",\"f9\",\"f10\","
	    "\"f11\",\"f12\",\"f13\",\"f14\",\"f15\",\"f16\"],\"aggregates\":"
	    "{\"n\":[\"count\"]}}]",
	    "[{\"f1\":1,\"f2\":null,\"f3\":null,\"f4\":null,\"f5\":null,"
	    "\"f6\":null,\"f7\":null,\"f8\":null,\"f9\":null,\"f10\":null,"
	    "\"f11\":null,\"f12\":null,\"f13\":null,\"f14\":null,\"f15\":null,"
	    "\"f16\":2,\"n\":1}]");
	/* Many groups (past the first table growth and key arena size). */
	{
		msgpack_packer	*pk = &pin;
		int		 i;

		msgpack_sbuffer_clear(&in);
		msgpack_pack_array(pk, 2);
		msgpack_pack_array(pk, 20000);
		for (i = 0; i < 20000; i++) {
			char	 k[32];
			int	 n = snprintf(k, sizeof(k), "key-%d", i % 5000);

			msgpack_pack_map(pk, 2);
			msgpack_pack_str_with_body(pk, "k", 1);
			msgpack_pack_str_with_body(pk, k, (size_t)n);
			msgpack_pack_str_with_body(pk, "v", 1);
			msgpack_pack_int(pk, i);
		}
		msgpack_pack_map(pk, 2);
		msgpack_pack_str_with_body(pk, "by", 2);
		msgpack_pack_str_with_body(pk, "k", 1);
		msgpack_pack_str_with_body(pk, "aggregates", 10);
		msgpack_pack_map(pk, 2);
		msgpack_pack_str_with_body(pk, "n", 1);
		msgpack_pack_array(pk, 1);
		msgpack_pack_str_with_body(pk, "count", 5);
		msgpack_pack_str_with_body(pk, "s", 1);
		msgpack_pack_array(pk, 2);
		msgpack_pack_str_with_body(pk, "sum", 3);
		msgpack_pack_str_with_body(pk, "v", 1);
		CHECK(call("aggregate.group") == 0);
		CHECK(nrows() == 5000);
		for (i = 0; i < 5000 && nrows() == 5000; i += 1237) {
			/* key-i: records i, i+5000, i+10000, i+15000 */
			CHECK(is_uint(cell((uint32_t)i, "n"), 4));
			CHECK(is_int(cell((uint32_t)i, "s"), 4 * i + 30000));
		}
	}
	/* Map keys that are not strings are not fields. */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_map(&pin, 2);
	msgpack_pack_int(&pin, 1);
	msgpack_pack_int(&pin, 5);
	msgpack_pack_bin_with_body(&pin, "v", 1);
	msgpack_pack_int(&pin, 6);
	msgpack_pack_map(&pin, 2);
	msgpack_pack_str_with_body(&pin, "by", 2);
	msgpack_pack_array(&pin, 0);
	msgpack_pack_str_with_body(&pin, "aggregates", 10);
	msgpack_pack_map(&pin, 1);
	pack_agg("n", "count", "v");
	CHECK(call("aggregate.group") == 0 && is_uint(cell(0, "n"), 0));
}

/* ---- numbers ------------------------------------------------------------ */

/* Pack [[{"v": x} for x in values], {"by": [], "aggregates": ...}] with
 * sum, avg, min and max of v; values given by a format: i int64, u
 * uint64, d double, f float32, n nil. */
static void
pack_values(const char *types, ...)
{
	va_list	 ap;
	size_t	 i, n = strlen(types);

	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_array(&pin, n);
	va_start(ap, types);
	for (i = 0; i < n; i++) {
		msgpack_pack_map(&pin, 1);
		msgpack_pack_str_with_body(&pin, "v", 1);
		switch (types[i]) {
		case 'i':
			msgpack_pack_int64(&pin, va_arg(ap, int64_t));
			break;
		case 'u':
			msgpack_pack_uint64(&pin, va_arg(ap, uint64_t));
			break;
		case 'd':
			msgpack_pack_double(&pin, va_arg(ap, double));
			break;
		case 'f':
			msgpack_pack_float(&pin, (float)va_arg(ap, double));
			break;
		default:
			msgpack_pack_nil(&pin);
			break;
		}
	}
	va_end(ap);
	msgpack_pack_map(&pin, 2);
	msgpack_pack_str_with_body(&pin, "by", 2);
	msgpack_pack_array(&pin, 0);
	msgpack_pack_str_with_body(&pin, "aggregates", 10);
	msgpack_pack_map(&pin, 4);
	pack_agg("s", "sum", "v");
	pack_agg("a", "avg", "v");
	pack_agg("lo", "min", "v");
	pack_agg("hi", "max", "v");
}

#define NUMS(...) do {							\
	pack_values(__VA_ARGS__);					\
	if (call("aggregate.group") != 0 || nrows() != 1) {		\
		fprintf(stderr, "line %d: error \"%s\"\n", __LINE__,	\
		    errmsg);						\
		CHECK(!"numbers grouped");				\
	}								\
} while (0)

static void
test_numbers(void)
{
	const double two63 = 9223372036854775808.0;

	/* Integer sums stay exact up to the int64 limits. */
	NUMS("ii", INT64_MAX - 1, (int64_t)1);
	CHECK(is_int(cell(0, "s"), INT64_MAX));
	NUMS("ii", INT64_MIN + 1, (int64_t)-1);
	CHECK(is_int(cell(0, "s"), INT64_MIN));
	NUMS("iii", INT64_MAX, (int64_t)-1, (int64_t)1);
	CHECK(is_int(cell(0, "s"), INT64_MAX));
	NUMS("ui", (uint64_t)INT64_MAX, INT64_MIN);
	CHECK(is_int(cell(0, "s"), -1));
	CHECK(is_float(cell(0, "a"), -0.5));
	/* Past them: float64, with the right sign and magnitude. */
	NUMS("ii", INT64_MAX, (int64_t)1);
	CHECK(is_float(cell(0, "s"), two63));
	NUMS("ii", INT64_MIN, (int64_t)-1);
	CHECK(is_float(cell(0, "s"), -two63));
	CHECK(is_float(cell(0, "a"), -two63 / 2));
	NUMS("iii", INT64_MIN, (int64_t)-1, (int64_t)1);
	CHECK(is_float(cell(0, "s"), -two63));
	/* Once a float, it stays one: -2^63 - 2 rounds to -2^63, then
	 * + 2048 is exact. */
	NUMS("iii", INT64_MIN + 2, (int64_t)-4, (int64_t)2048);
	CHECK(is_float(cell(0, "s"), -two63 + 2048));
	NUMS("iiii", (int64_t)1 << 62, (int64_t)1 << 62, (int64_t)1 << 62,
	    -((int64_t)1 << 62));
	CHECK(is_float(cell(0, "s"), two63));
	/* An integer above INT64_MAX: float64, min and max keep it. */
	NUMS("u", UINT64_MAX);
	CHECK(is_float(cell(0, "s"), 18446744073709551615.0));
	CHECK(is_uint(cell(0, "lo"), UINT64_MAX) &&
	    is_uint(cell(0, "hi"), UINT64_MAX));
	NUMS("iu", (int64_t)-1, (uint64_t)1 << 63);
	CHECK(is_float(cell(0, "s"), two63 - 1));
	/* A float makes the sum a float; nil is skipped. */
	NUMS("ind", (int64_t)2, 0.5);
	CHECK(is_float(cell(0, "s"), 2.5) && is_float(cell(0, "a"), 1.25));
	NUMS("dni", 0.5, (int64_t)2);
	CHECK(is_float(cell(0, "s"), 2.5));
	NUMS("nnn");
	CHECK(is_nil(cell(0, "s")) && is_nil(cell(0, "a")) &&
	    is_nil(cell(0, "lo")) && is_nil(cell(0, "hi")));
	/* min and max keep the type of the value they picked. */
	NUMS("idi", (int64_t)3, 1.5, (int64_t)2);
	CHECK(is_float(cell(0, "lo"), 1.5) && is_int(cell(0, "hi"), 3));
	NUMS("did", 3.5, (int64_t)1, 2.5);
	CHECK(is_int(cell(0, "lo"), 1) && is_float(cell(0, "hi"), 3.5));
	NUMS("fi", 0.25, (int64_t)-7);
	CHECK(cell(0, "hi") != NULL &&
	    cell(0, "hi")->type == MSGPACK_OBJECT_FLOAT32 &&
	    cell(0, "hi")->via.f64 == 0.25);
	CHECK(is_int(cell(0, "lo"), -7));
	CHECK(is_float(cell(0, "s"), -6.75));
	/* Mixed comparisons: negative < positive, exactly for integers
	 * beyond 2^53, against floats by value. */
	NUMS("iu", (int64_t)-1, (uint64_t)0);
	CHECK(is_int(cell(0, "lo"), -1) && is_uint(cell(0, "hi"), 0));
	NUMS("uu", ((uint64_t)1 << 63) + 1, (uint64_t)1 << 63);
	CHECK(is_uint(cell(0, "lo"), (uint64_t)1 << 63) &&
	    is_uint(cell(0, "hi"), ((uint64_t)1 << 63) + 1));
	NUMS("ii", INT64_MIN + 1, INT64_MIN);
	CHECK(is_int(cell(0, "lo"), INT64_MIN) &&
	    is_int(cell(0, "hi"), INT64_MIN + 1));
	NUMS("ii", ((int64_t)1 << 53) + 1, (int64_t)1 << 53);
	CHECK(is_int(cell(0, "lo"), (int64_t)1 << 53) &&
	    is_int(cell(0, "hi"), ((int64_t)1 << 53) + 1));
	NUMS("diu", -4.5, (int64_t)-5, UINT64_MAX);
	CHECK(is_int(cell(0, "lo"), -5) && is_uint(cell(0, "hi"), UINT64_MAX));
	NUMS("udi", UINT64_MAX, 1e19, (int64_t)-4);
	CHECK(is_uint(cell(0, "hi"), UINT64_MAX) && is_int(cell(0, "lo"), -4));
	NUMS("dud", 2e19, UINT64_MAX, -1e300);
	CHECK(is_float(cell(0, "hi"), 2e19) && is_float(cell(0, "lo"), -1e300));
	NUMS("idd", (int64_t)0, -0.5, 0.5);
	CHECK(is_float(cell(0, "lo"), -0.5) && is_float(cell(0, "hi"), 0.5));
	NUMS("ndn", -2.0);
	CHECK(is_float(cell(0, "lo"), -2.0) && is_float(cell(0, "hi"), -2.0));
	CHECK(is_float(cell(0, "a"), -2.0));
	/* NaN: min and max skip it wherever it comes; sum and avg are NaN. */
	NUMS("did", NAN, (int64_t)4, 2.5);
	CHECK(is_float(cell(0, "lo"), 2.5) && is_int(cell(0, "hi"), 4));
	CHECK(cell(0, "s") != NULL &&
	    cell(0, "s")->type == MSGPACK_OBJECT_FLOAT64 &&
	    isnan(cell(0, "s")->via.f64));
	NUMS("idd", (int64_t)4, 2.5, NAN);
	CHECK(is_float(cell(0, "lo"), 2.5) && is_int(cell(0, "hi"), 4));
	NUMS("dn", NAN);
	CHECK(is_nil(cell(0, "lo")) && is_nil(cell(0, "hi")));
}

/* ---- errors ------------------------------------------------------------- */

#define SPEC_ERR(spec, msg) ERR("aggregate.group", "[[{\"k\":1}]," spec "]", \
	FP_E_INVALID_PARAMS, msg)

static void
test_errors(void)
{
	char	 buf[4096];
	size_t	 n;
	int	 i;

	ERR("aggregate.group", "[]", FP_E_INVALID_PARAMS,
	    "expected [records, spec]");
	ERR("aggregate.group", "[[]]", FP_E_INVALID_PARAMS,
	    "expected [records, spec]");
	ERR("aggregate.group", "[[],{},1]", FP_E_INVALID_PARAMS,
	    "expected [records, spec]");
	/* Every message of the spec. */
	SPEC_ERR("[]", "spec must be a map with \"by\" and \"aggregates\"");
	SPEC_ERR("\"k\"", "spec must be a map with \"by\" and \"aggregates\"");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[\"count\"]},\"x\":1}",
	    "spec: unknown key (expected by, aggregates)");
	SPEC_ERR("{\"by\":\"k\"}", "spec needs \"by\" and \"aggregates\"");
	SPEC_ERR("{\"aggregates\":{\"n\":[\"count\"]}}",
	    "spec needs \"by\" and \"aggregates\"");
	SPEC_ERR("{}", "spec needs \"by\" and \"aggregates\"");
	SPEC_ERR("{\"by\":1,\"aggregates\":{\"n\":[\"count\"]}}",
	    "spec: \"by\" must be a field name or an array of at most 16");
	SPEC_ERR("{\"by\":null,\"aggregates\":{\"n\":[\"count\"]}}",
	    "spec: \"by\" must be a field name or an array of at most 16");
	SPEC_ERR("{\"by\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\","
	    "\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"],"
	    "\"aggregates\":{\"z\":[\"count\"]}}",
	    "spec: \"by\" must be a field name or an array of at most 16");
	SPEC_ERR("{\"by\":[\"k\",1],\"aggregates\":{\"n\":[\"count\"]}}",
	    "spec: \"by\" must hold field names");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":[]}",
	    "spec: \"aggregates\" must be a map of 1 to 64 entries");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{}}",
	    "spec: \"aggregates\" must be a map of 1 to 64 entries");
	/* 64 aggregates are allowed, 65 are not. */
	for (i = 64; i <= 65; i++) {
		int	 j;

		n = (size_t)snprintf(buf, sizeof(buf),
		    "[[{\"k\":1}],{\"by\":\"k\",\"aggregates\":{");
		for (j = 0; j < i; j++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "%s\"a%d\":[\"count\"]", j ? "," : "", j);
		snprintf(buf + n, sizeof(buf) - n, "}}]");
		if (i == 64)
			OK("aggregate.group", buf, NULL);
		else
			ERR("aggregate.group", buf, FP_E_INVALID_PARAMS,
			    "spec: \"aggregates\" must be a map of 1 to 64 "
			    "entries");
	}
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":\"count\"}}",
	    "spec: aggregate n: expected [op] or [op, field], op count, sum, "
	    "avg, min or max");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[]}}",
	    "spec: aggregate n: expected [op] or [op, field]");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[\"sum\",\"v\",\"w\"]}}",
	    "spec: aggregate n: expected [op] or [op, field]");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[\"median\",\"v\"]}}",
	    "spec: aggregate n: expected [op] or [op, field]");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[\"COUNT\"]}}",
	    "spec: aggregate n: expected [op] or [op, field]");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[1,\"v\"]}}",
	    "spec: aggregate n: expected [op] or [op, field]");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[\"sum\",1]}}",
	    "spec: aggregate n: the field must be a string");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[\"count\",null]}}",
	    "spec: aggregate n: the field must be a string");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[\"count\"],"
	    "\"t\":[\"sum\"]}}", "spec: aggregate t: this op needs a field");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[\"avg\"]}}",
	    "spec: aggregate n: this op needs a field");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[\"min\"]}}",
	    "spec: aggregate n: this op needs a field");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[\"max\"]}}",
	    "spec: aggregate n: this op needs a field");
	SPEC_ERR("{\"by\":[\"j\",\"k\"],\"aggregates\":{\"k\":[\"count\"]}}",
	    "spec: k is both a \"by\" field and an aggregate");
	SPEC_ERR("{\"by\":[\"k\",\"j\",\"k\"],\"aggregates\":{\"n\":[\"count\"]}}",
	    "spec: \"by\" names k twice");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"n\":[\"count\"],"
	    "\"n\":[\"sum\",\"v\"]}}", "spec: aggregate n is given twice");
	SPEC_ERR("{\"by\":\"k\",\"aggregates\":{\"k\":[\"count\"]}}",
	    "spec: k is both a \"by\" field and an aggregate");
	/* An aggregate name that is not a string (msgpack only). */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_array(&pin, 0);
	msgpack_pack_map(&pin, 2);
	msgpack_pack_str_with_body(&pin, "by", 2);
	msgpack_pack_str_with_body(&pin, "k", 1);
	msgpack_pack_str_with_body(&pin, "aggregates", 10);
	msgpack_pack_map(&pin, 1);
	msgpack_pack_int(&pin, 1);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_str_with_body(&pin, "count", 5);
	ERR_IN("aggregate.group", FP_E_INVALID_PARAMS,
	    "spec: aggregate names must be strings");

	/* The records, checked after the spec. */
	ERR("aggregate.group", "[5,{\"by\":\"k\"}]", FP_E_INVALID_PARAMS,
	    "spec needs");
	ERR("aggregate.group", "[5,{\"by\":\"k\",\"aggregates\":{\"n\":"
	    "[\"count\"]}}]", FP_E_INVALID_PARAMS,
	    "records must be an array of maps");
	ERR("aggregate.group", "[{\"k\":1},{\"by\":\"k\",\"aggregates\":{\"n\":"
	    "[\"count\"]}}]", FP_E_INVALID_PARAMS,
	    "records must be an array of maps");
	ERR("aggregate.group", "[[{\"k\":1},{\"k\":2},3,{}],{\"by\":\"k\","
	    "\"aggregates\":{\"n\":[\"count\"]}}]", FP_E_INVALID_PARAMS,
	    "record 2 is not a map");
	ERR("aggregate.group", "[[[]],{\"by\":\"k\","
	    "\"aggregates\":{\"n\":[\"count\"]}}]", FP_E_INVALID_PARAMS,
	    "record 0 is not a map");
	ERR("aggregate.group", "[[{\"v\":1},{\"v\":2},{\"v\":\"3\"}],"
	    "{\"by\":[],\"aggregates\":{\"s\":[\"sum\",\"v\"]}}]",
	    FP_E_INVALID_PARAMS, "record 2: field v is not a number");
	ERR("aggregate.group", "[[{\"v\":true}],{\"by\":[],\"aggregates\":"
	    "{\"s\":[\"avg\",\"v\"]}}]", FP_E_INVALID_PARAMS,
	    "record 0: field v is not a number");
	ERR("aggregate.group", "[[{\"v\":1},{\"xx\":[1]}],{\"by\":[],"
	    "\"aggregates\":{\"s\":[\"min\",\"xx\"]}}]", FP_E_INVALID_PARAMS,
	    "record 1: field xx is not a number");
	ERR("aggregate.group", "[[{\"v\":{}}],{\"by\":[],"
	    "\"aggregates\":{\"s\":[\"max\",\"v\"]}}]", FP_E_INVALID_PARAMS,
	    "record 0: field v is not a number");
}

/* ---- max-groups and the deadline --------------------------------------- */

/* Pack n records {"k": i % groups}, by k, count. */
static void
pack_keys(uint32_t n, uint32_t groups)
{
	uint32_t i;

	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_array(&pin, n);
	for (i = 0; i < n; i++) {
		msgpack_pack_map(&pin, 1);
		msgpack_pack_str_with_body(&pin, "k", 1);
		msgpack_pack_uint32(&pin, i % groups);
	}
	msgpack_pack_map(&pin, 2);
	msgpack_pack_str_with_body(&pin, "by", 2);
	msgpack_pack_str_with_body(&pin, "k", 1);
	msgpack_pack_str_with_body(&pin, "aggregates", 10);
	msgpack_pack_map(&pin, 1);
	pack_agg("n", "count", NULL);
}

static void
test_limits(void)
{
	void	*st2 = init_ok("max-groups=2", "max_groups=2");
	void	*st1 = init_ok("max-groups=1", "max_groups=1");
	int	 rc;

	pack_keys(10, 2);
	CHECK(call_st("aggregate.group", st2) == 0 && nrows() == 2);
	pack_keys(10, 3);
	rc = call_st("aggregate.group", st2);
	CHECK(rc == FP_E_TOO_LARGE);
	CHECK(strstr(errmsg, "more than 2 groups (the plug-in's max-groups)")
	    != NULL);
	pack_keys(3, 1);
	CHECK(call_st("aggregate.group", st1) == 0 && nrows() == 1);
	pack_keys(3, 3);
	CHECK(call_st("aggregate.group", st1) == FP_E_TOO_LARGE);
	CHECK(strstr(errmsg, "more than 1 groups") != NULL);
	/* The same through group_json. */
	CHECK(pack_json("[\"[{\\\"k\\\":1},{\\\"k\\\":2}]\",{\"by\":\"k\","
	    "\"aggregates\":{\"n\":[\"count\"]}}]") == 0);
	CHECK(call_st("aggregate.group_json", st1) == FP_E_TOO_LARGE);
	plug->fini(&host, st2);
	plug->fini(&host, st1);

	/* The deadline is checked every 4096 records: a call that has
	 * passed it stops with timeout, naming where it stopped. */
	host.remaining_ns = fake_remaining_ns;
	remaining = 0;
	remaining_calls = 0;
	pack_keys(4095, 7);
	CHECK(call("aggregate.group") == 0 && nrows() == 7);
	CHECK(remaining_calls == 0);
	pack_keys(5000, 7);
	CHECK(call("aggregate.group") == FP_E_TIMEOUT);
	CHECK(strstr(errmsg, "deadline passed after 4095 of 5000 records") !=
	    NULL);
	CHECK(remaining_calls == 1);
	/* Time left, or no deadline (UINT64_MAX): it goes on. */
	remaining = 1;
	remaining_calls = 0;
	pack_keys(20000, 7);
	CHECK(call("aggregate.group") == 0 && nrows() == 7);
	CHECK(remaining_calls == 4);
	remaining = UINT64_MAX;
	CHECK(call("aggregate.group") == 0 && nrows() == 7);
	/* group_json stops too. */
	remaining = 0;
	{
		char	*text;
		size_t	 len = 0;
		int	 i;

		text = malloc(5000 * 16 + 16);
		CHECK(text != NULL);
		if (text != NULL) {
			msgpack_sbuffer_clear(&in);
			msgpack_pack_array(&pin, 2);
			text[len++] = '[';
			for (i = 0; i < 5000; i++)
				len += (size_t)sprintf(text + len,
				    "%s{\"k\":%d}", i ? "," : "", i % 3);
			text[len++] = ']';
			msgpack_pack_str_with_body(&pin, text, len);
			free(text);
			msgpack_pack_map(&pin, 2);
			msgpack_pack_str_with_body(&pin, "by", 2);
			msgpack_pack_str_with_body(&pin, "k", 1);
			msgpack_pack_str_with_body(&pin, "aggregates", 10);
			msgpack_pack_map(&pin, 1);
			msgpack_pack_str_with_body(&pin, "n", 1);
			msgpack_pack_array(&pin, 1);
			msgpack_pack_str_with_body(&pin, "count", 5);
			ERR_IN("aggregate.group_json", FP_E_TIMEOUT,
			    "deadline passed after 4095 of 5000 records");
		}
	}
	/* The daemon's remaining_ns: a deadline in the past is 0. */
	host.remaining_ns = real_remaining_ns;
	remaining = UINT64_MAX;
	pack_keys(5000, 7);
	call_deadline_ns = 1;
	CHECK(call("aggregate.group") == FP_E_TIMEOUT);
	call_deadline_ns = 0;
	CHECK(call("aggregate.group") == 0 && nrows() == 7);
	host.remaining_ns = fake_remaining_ns;
}

/* ---- group_json -------------------------------------------------------- */

static void
test_group_json(void)
{
	char	 deep[256];
	int	 i;

	OK("aggregate.group_json", "[\"[{\\\"k\\\":\\\"a\\\",\\\"v\\\":1},"
	    "{\\\"k\\\":\\\"b\\\",\\\"v\\\":2.5},{\\\"k\\\":\\\"a\\\","
	    "\\\"v\\\":3},{\\\"k\\\":\\\"\\u00e9\\\"}]\",{\"by\":\"k\","
	    "\"aggregates\":{\"n\":[\"count\"],\"s\":[\"sum\",\"v\"],"
	    "\"a\":[\"avg\",\"v\"]}}]",
	    "\"[{\\\"k\\\":\\\"a\\\",\\\"n\\\":2,\\\"s\\\":4,\\\"a\\\":2},"
	    "{\\\"k\\\":\\\"b\\\",\\\"n\\\":1,\\\"s\\\":2.5,\\\"a\\\":2.5},"
	    "{\\\"k\\\":\\\"\xc3\xa9\\\",\\\"n\\\":1,\\\"s\\\":null,"
	    "\\\"a\\\":null}]\"");
	CHECK(result.type == MSGPACK_OBJECT_STR);
	OK("aggregate.group_json", "[\"[]\",{\"by\":[],\"aggregates\":"
	    "{\"n\":[\"count\"]}}]", "\"[]\"");
	/* Text as bin too. */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_bin_with_body(&pin, "[{\"x\":5},{\"x\":6}]", 17);
	msgpack_pack_map(&pin, 2);
	msgpack_pack_str_with_body(&pin, "by", 2);
	msgpack_pack_array(&pin, 0);
	msgpack_pack_str_with_body(&pin, "aggregates", 10);
	msgpack_pack_map(&pin, 1);
	pack_agg("hi", "max", "x");
	CHECK(call("aggregate.group_json") == 0 &&
	    result.type == MSGPACK_OBJECT_STR &&
	    result.via.str.size == 10 &&
	    memcmp(result.via.str.ptr, "[{\"hi\":6}]", 10) == 0);
	/* Errors. */
	ERR("aggregate.group_json", "[\"[]\"]", FP_E_INVALID_PARAMS,
	    "expected [json_text, spec]");
	ERR("aggregate.group_json", "[[],{\"by\":[],\"aggregates\":"
	    "{\"n\":[\"count\"]}}]", FP_E_INVALID_PARAMS,
	    "json_text must be a string");
	ERR("aggregate.group_json", "[\"[1,\",{\"by\":[],\"aggregates\":"
	    "{\"n\":[\"count\"]}}]", FP_E_INVALID_PARAMS,
	    "json_text: syntax at line 1, column 4");
	ERR("aggregate.group_json", "[\"[\\n{\\\"k\\\":01}]\",{\"by\":[],"
	    "\"aggregates\":{\"n\":[\"count\"]}}]", FP_E_INVALID_PARAMS,
	    "json_text: syntax at line 2, column ");
	ERR("aggregate.group_json", "[\"{}\",{\"by\":[],\"aggregates\":"
	    "{\"n\":[\"count\"]}}]", FP_E_INVALID_PARAMS,
	    "records must be an array of maps");
	ERR("aggregate.group_json", "[\"[{}]\",{\"by\":[]}]",
	    FP_E_INVALID_PARAMS, "spec needs \"by\" and \"aggregates\"");
	ERR("aggregate.group_json", "[\"[{\\\"v\\\":\\\"x\\\"}]\",{\"by\":[],"
	    "\"aggregates\":{\"s\":[\"sum\",\"v\"]}}]", FP_E_INVALID_PARAMS,
	    "record 0: field v is not a number");
	/* Deeper than msgpack-c unpacks (but valid JSON): an error, not a
	 * crash. */
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	for (; i < 200; i++)
		deep[i] = ']';
	deep[i] = '\0';
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_str_with_body(&pin, deep, 200);
	msgpack_pack_map(&pin, 2);
	msgpack_pack_str_with_body(&pin, "by", 2);
	msgpack_pack_array(&pin, 0);
	msgpack_pack_str_with_body(&pin, "aggregates", 10);
	msgpack_pack_map(&pin, 1);
	pack_agg("n", "count", NULL);
	i = call("aggregate.group_json");
	CHECK(i == FP_E_INVALID_PARAMS);
	CHECK(strstr(errmsg, "json_text nests too deeply") != NULL);
}

/* ---- the randomized comparison ----------------------------------------- */

static uint64_t	 rng;

static uint64_t
rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t
rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

enum kind { K_MISSING, K_NIL, K_POS, K_NEG, K_FLOAT, K_STR, K_BOOL };

struct val {
	enum kind	 k;
	uint64_t	 u;	/* K_POS */
	int64_t		 i;	/* K_NEG */
	double		 f;	/* K_FLOAT */
	const char	*s;	/* K_STR */
	int		 b;	/* K_BOOL */
};

#define NFIELD	4	/* a, b: keys; x: numbers; t: anything */
static const char *const fname[NFIELD] = { "a", "b", "x", "t" };

struct rec {
	struct val	 v[NFIELD];
	int		 order[NFIELD];	/* packing order of the fields */
	int		 filler;	/* an extra field "z" first */
};

static struct val
vpos(uint64_t u)
{
	struct val v = { .k = K_POS, .u = u };
	return v;
}

static struct val
vint(int64_t i)
{
	struct val v = { .k = K_NEG, .i = i };

	if (i >= 0) {
		v.k = K_POS;
		v.u = (uint64_t)i;
	}
	return v;
}

static struct val
vfloat(double f)
{
	struct val v = { .k = K_FLOAT, .f = f };
	return v;
}

static struct val
vstr(const char *s)
{
	struct val v = { .k = K_STR, .s = s };
	return v;
}

static struct val
vkind(enum kind k)
{
	struct val v = { .k = k };
	return v;
}

/* A value for the key field a. */
static struct val
gen_a(void)
{
	switch (rnd_below(10)) {
	case 0:	return vkind(K_MISSING);
	case 1:	return vkind(K_NIL);
	case 2:	return vint(-1);
	case 3:	return vfloat(0.5);
	case 4:	return vfloat(1.0);
	case 5:	return vstr("1");
	case 6:	return vstr("p");
	default: return vint((int64_t)rnd_below(3));
	}
}

/* Key b: which also decides how x is drawn, so that some groups sum
 * exactly in integers, some overflow and some mix in floats. */
static struct val
gen_b(void)
{
	switch (rnd_below(5)) {
	case 0:	return vkind(K_MISSING);
	case 1:	return vstr("ints");
	case 2:	return vstr("big");
	case 3:	return vstr("mixed");
	default: return vstr("neg");
	}
}

static struct val
gen_x(const struct val *b)
{
	uint32_t r = rnd_below(100);
	const char *s = b->k == K_STR ? b->s : "";

	if (r < 8)
		return vkind(K_MISSING);
	if (r < 16)
		return vkind(K_NIL);
	if (strcmp(s, "ints") == 0)
		return vint((int64_t)rnd_below(2001) - 1000);
	if (strcmp(s, "neg") == 0)
		return r < 30 ? vint(-(int64_t)(rnd() >> 2) - 1) :
		    vint(-(int64_t)rnd_below(100000));
	if (strcmp(s, "big") == 0) {
		if (r < 20)
			return vpos(rnd() | ((uint64_t)1 << 63));
		return vint((int64_t)(rnd() >> 2) * (r % 2 ? 1 : -1));
	}
	/* mixed, or no b: small ints, floats with a fraction, big ints. */
	if (r < 50)
		return vint((int64_t)rnd_below(201) - 100);
	if (r < 90)
		return vfloat((double)((int64_t)rnd_below(2001) - 1000) + 0.25 +
		    0.25 * rnd_below(3));
	return vint((int64_t)(rnd() >> 3) * (r % 2 ? 1 : -1));
}

static struct val
gen_t(void)
{
	switch (rnd_below(6)) {
	case 0:	return vkind(K_MISSING);
	case 1:	return vkind(K_NIL);
	case 2:	return vstr("text");
	case 3: {
		struct val v = { .k = K_BOOL, .b = 0 };
		return v;
	}
	default: return vint((int64_t)rnd_below(10));
	}
}

static void
pack_val(msgpack_packer *pk, const struct val *v)
{
	switch (v->k) {
	case K_POS:
		msgpack_pack_uint64(pk, v->u);
		break;
	case K_NEG:
		msgpack_pack_int64(pk, v->i);
		break;
	case K_FLOAT:
		msgpack_pack_double(pk, v->f);
		break;
	case K_STR:
		msgpack_pack_str_with_body(pk, v->s, strlen(v->s));
		break;
	case K_BOOL:
		if (v->b)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	default:
		msgpack_pack_nil(pk);
		break;
	}
}

/* Keys are equal as MessagePack bytes: missing and nil are both nil. */
static int
key_eq(const struct val *x, const struct val *y)
{
	enum kind kx = x->k == K_MISSING ? K_NIL : x->k;
	enum kind ky = y->k == K_MISSING ? K_NIL : y->k;

	if (kx != ky)
		return 0;
	switch (kx) {
	case K_POS:	return x->u == y->u;
	case K_NEG:	return x->i == y->i;
	case K_FLOAT:	return memcmp(&x->f, &y->f, sizeof(double)) == 0;
	case K_STR:	return strcmp(x->s, y->s) == 0;
	case K_BOOL:	return x->b == y->b;
	default:	return 1;
	}
}

static int
is_num(const struct val *v)
{
	return v->k == K_POS || v->k == K_NEG || v->k == K_FLOAT;
}

/* Exact comparison of two numbers (long double holds every int64). */
static int
num_cmp_exact(const struct val *x, const struct val *y)
{
	long double a, b;

	if (x->k == K_POS && y->k == K_POS)
		return x->u < y->u ? -1 : x->u > y->u;
	if (x->k == K_NEG && y->k == K_NEG)
		return x->i < y->i ? -1 : x->i > y->i;
	a = x->k == K_POS ? (long double)x->u : x->k == K_NEG ?
	    (long double)x->i : (long double)x->f;
	b = y->k == K_POS ? (long double)y->u : y->k == K_NEG ?
	    (long double)y->i : (long double)y->f;
	return a < b ? -1 : a > b;
}

static long double
num_ld(const struct val *v)
{
	return v->k == K_POS ? (long double)v->u : v->k == K_NEG ?
	    (long double)v->i : (long double)v->f;
}

struct rgroup {
	size_t		 first;		/* record index */
	uint64_t	 n, nx, nt;
	int		 intsum;	/* still an exact integer sum */
	__int128	 isum;
	long double	 lsum, asum;	/* sum, sum of magnitudes */
	const struct val *min, *max;
};

static int
str_key_is(const msgpack_object *k, const char *s)
{
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(s) &&
	    memcmp(k->via.str.ptr, s, k->via.str.size) == 0;
}

/* Row j of the result as JSON (static buffer). */
static const char *
row_json(size_t j)
{
	static char	 text[4096];
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	struct fp_json_out o;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_object(&pk, result.via.array.ptr[j]);
	if (host.json_encode(sb.data, sb.size, NULL, &o) == 0) {
		snprintf(text, sizeof(text), "%s", (const char *)o.data);
		free(o.data);
	} else
		snprintf(text, sizeof(text), "(%s)", o.error);
	msgpack_sbuffer_destroy(&sb);
	return text;
}

static const char *
val_text(const struct val *v)
{
	static char	 text[4][64];
	static int	 i;
	char		*t = text[i++ % 4];

	switch (v->k) {
	case K_MISSING:	return "missing";
	case K_NIL:	return "nil";
	case K_POS:	snprintf(t, 64, "uint %" PRIu64, v->u); break;
	case K_NEG:	snprintf(t, 64, "int %" PRId64, v->i); break;
	case K_FLOAT:	snprintf(t, 64, "float %.17g", v->f); break;
	case K_STR:	snprintf(t, 64, "str \"%s\"", v->s); break;
	case K_BOOL:	return v->b ? "true" : "false";
	}
	return t;
}

/* Does `got' hold the value v exactly (type included)? */
static int
obj_is(const msgpack_object *got, const struct val *v)
{
	if (got == NULL)
		return 0;
	switch (v->k) {
	case K_MISSING:
	case K_NIL:
		return got->type == MSGPACK_OBJECT_NIL;
	case K_POS:
		return got->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    got->via.u64 == v->u;
	case K_NEG:
		return got->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
		    got->via.i64 == v->i;
	case K_FLOAT:
		return got->type == MSGPACK_OBJECT_FLOAT64 &&
		    memcmp(&got->via.f64, &v->f, sizeof(double)) == 0;
	case K_STR:
		return got->type == MSGPACK_OBJECT_STR &&
		    got->via.str.size == strlen(v->s) &&
		    memcmp(got->via.str.ptr, v->s, got->via.str.size) == 0;
	case K_BOOL:
		return got->type == MSGPACK_OBJECT_BOOLEAN &&
		    got->via.boolean == (v->b != 0);
	}
	return 0;
}

static int
approx(const msgpack_object *got, long double want, long double scale)
{
	long double d;

	if (got == NULL || got->type != MSGPACK_OBJECT_FLOAT64)
		return 0;
	d = (long double)got->via.f64 - want;
	if (d < 0)
		d = -d;
	return d <= scale * 1e-9L + 1e-300L;
}

/*
 * One round: nrec random records grouped by `by' (nby names of fname)
 * compared with the reference.  Returns 0 if all matched.
 */
static int
prop_round(size_t nrec, const int *by, int nby)
{
	static const char *const aname[] = { "n", "nx", "nt", "s", "av", "mn",
	    "mx" };
	struct rec	*r = calloc(nrec, sizeof(*r));
	struct rgroup	*g = calloc(nrec + 1, sizeof(*g));
	size_t		 ng = 0, i, j;
	int		 f, bad = 0, k;

	if (r == NULL || g == NULL) {
		free(r);
		free(g);
		return -1;
	}
	for (i = 0; i < nrec; i++) {
		r[i].v[0] = gen_a();
		r[i].v[1] = gen_b();
		r[i].v[2] = gen_x(&r[i].v[1]);
		r[i].v[3] = gen_t();
		for (f = 0; f < NFIELD; f++)
			r[i].order[f] = f;
		for (f = NFIELD - 1; f > 0; f--) {
			int t = (int)rnd_below((uint32_t)f + 1), s;

			s = r[i].order[f];
			r[i].order[f] = r[i].order[t];
			r[i].order[t] = s;
		}
		r[i].filler = rnd_below(4) == 0;
	}
	/* Pack. */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_array(&pin, nrec);
	for (i = 0; i < nrec; i++) {
		size_t n = (size_t)r[i].filler;

		for (f = 0; f < NFIELD; f++)
			n += r[i].v[f].k != K_MISSING;
		msgpack_pack_map(&pin, n);
		if (r[i].filler) {
			msgpack_pack_str_with_body(&pin, "z", 1);
			msgpack_pack_int(&pin, 1);
		}
		for (f = 0; f < NFIELD; f++) {
			const struct val *v = &r[i].v[r[i].order[f]];

			if (v->k == K_MISSING)
				continue;
			msgpack_pack_str_with_body(&pin, fname[r[i].order[f]],
			    1);
			pack_val(&pin, v);
		}
	}
	msgpack_pack_map(&pin, 2);
	msgpack_pack_str_with_body(&pin, "by", 2);
	if (nby == 1 && rnd_below(2) == 0)
		msgpack_pack_str_with_body(&pin, fname[by[0]], 1);
	else {
		msgpack_pack_array(&pin, (size_t)nby);
		for (k = 0; k < nby; k++)
			msgpack_pack_str_with_body(&pin, fname[by[k]], 1);
	}
	msgpack_pack_str_with_body(&pin, "aggregates", 10);
	msgpack_pack_map(&pin, 7);
	pack_agg("n", "count", NULL);
	pack_agg("nx", "count", "x");
	pack_agg("nt", "count", "t");
	pack_agg("s", "sum", "x");
	pack_agg("av", "avg", "x");
	pack_agg("mn", "min", "x");
	pack_agg("mx", "max", "x");

	/* The reference: linear search for the group, exact arithmetic. */
	for (i = 0; i < nrec; i++) {
		const struct val *x = &r[i].v[2], *t = &r[i].v[3];
		struct rgroup	*gp;

		for (j = 0; j < ng; j++) {
			for (k = 0; k < nby; k++)
				if (!key_eq(&r[g[j].first].v[by[k]],
				    &r[i].v[by[k]]))
					break;
			if (k == nby)
				break;
		}
		gp = &g[j];
		if (j == ng) {
			ng++;
			gp->first = i;
			gp->intsum = 1;
		}
		gp->n++;
		if (t->k != K_MISSING && t->k != K_NIL)
			gp->nt++;
		if (!is_num(x))
			continue;
		gp->nx++;
		gp->lsum += num_ld(x);
		gp->asum += num_ld(x) < 0 ? -num_ld(x) : num_ld(x);
		if (x->k == K_FLOAT || (x->k == K_POS && x->u > INT64_MAX))
			gp->intsum = 0;
		else if (gp->intsum) {
			gp->isum += x->k == K_POS ? (__int128)x->u :
			    (__int128)x->i;
			if (gp->isum > INT64_MAX || gp->isum < INT64_MIN)
				gp->intsum = 0;
		}
		if (gp->min == NULL || num_cmp_exact(x, gp->min) < 0)
			gp->min = x;
		if (gp->max == NULL || num_cmp_exact(x, gp->max) > 0)
			gp->max = x;
	}

	/* Compare. */
	if (call("aggregate.group") != 0) {
		fprintf(stderr, "random round: error %s\n", errmsg);
		bad = 1;
		goto out;
	}
	if (nrows() != (int)ng) {
		fprintf(stderr, "random round: %d rows, want %zu\n", nrows(),
		    ng);
		bad = 1;
		goto out;
	}
	for (j = 0; j < ng && bad < 5; j++) {
		const struct rgroup *gp = &g[j];
		const msgpack_object *row = &result.via.array.ptr[j];
		const msgpack_object *s = cell((uint32_t)j, "s");
		const msgpack_object *av = cell((uint32_t)j, "av");
		int	 rowbad = 0;

		if (row->type != MSGPACK_OBJECT_MAP ||
		    row->via.map.size != (uint32_t)nby + 7)
			rowbad = 1;
		for (k = 0; !rowbad && k < nby; k++)
			if (!str_key_is(&row->via.map.ptr[k].key, fname[by[k]]) ||
			    !obj_is(&row->via.map.ptr[k].val,
			    &r[gp->first].v[by[k]]))
				rowbad = 1;
		for (k = 0; !rowbad && k < 7; k++)
			if (!str_key_is(&row->via.map.ptr[nby + k].key,
			    aname[k]))
				rowbad = 1;
		if (!is_uint(cell((uint32_t)j, "n"), gp->n) ||
		    !is_uint(cell((uint32_t)j, "nx"), gp->nx) ||
		    !is_uint(cell((uint32_t)j, "nt"), gp->nt))
			rowbad = 1;
		if (gp->nx == 0) {
			if (!is_nil(s) || !is_nil(av) ||
			    !is_nil(cell((uint32_t)j, "mn")) ||
			    !is_nil(cell((uint32_t)j, "mx")))
				rowbad = 1;
		} else {
			if (gp->intsum ? !is_int(s, (int64_t)gp->isum) :
			    !approx(s, gp->lsum, gp->asum))
				rowbad = 1;
			if (!approx(av, gp->lsum / gp->nx, gp->asum / gp->nx))
				rowbad = 1;
			if (!obj_is(cell((uint32_t)j, "mn"), gp->min) ||
			    !obj_is(cell((uint32_t)j, "mx"), gp->max))
				rowbad = 1;
		}
		if (rowbad) {
			fprintf(stderr, "random round, group %zu: got %s\n"
			    "  want: first record %zu, n %" PRIu64 " nx %"
			    PRIu64 " nt %" PRIu64 ", sum %s %.17Lg (magnitudes "
			    "%.17Lg), min %s, max %s\n", j, row_json(j),
			    gp->first, gp->n, gp->nx, gp->nt,
			    gp->intsum ? "int" : "float", gp->lsum, gp->asum,
			    gp->min ? val_text(gp->min) : "-",
			    gp->max ? val_text(gp->max) : "-");
			bad++;
		}
	}
out:
	free(r);
	free(g);
	return bad;
}

static void
test_random(void)
{
	static const int by_ab[] = { 0, 1 }, by_b[] = { 1 }, by_a[] = { 0 },
	    by_ba[] = { 1, 0 };
	static const struct {
		const int	*by;
		int		 nby;
		size_t		 nrec;
	} rounds[] = {
		{ by_ab, 2, 3000 }, { by_b, 1, 3000 }, { by_a, 1, 2000 },
		{ by_ba, 2, 5000 }, { NULL, 0, 3000 }, { by_b, 1, 50 },
		{ by_ab, 2, 1 },
	};
	size_t	 i;
	int	 bad;

	for (i = 0; i < sizeof(rounds) / sizeof(rounds[0]); i++) {
		bad = prop_round(rounds[i].nrec, rounds[i].by, rounds[i].nby);
		if (bad != 0)
			fprintf(stderr, "random round %zu failed: rerun with "
			    "AGG_SEED=%u\n", i, seed);
		CHECK(bad == 0);
	}
}

int
main(void)
{
	char	 path[PATH_MAX + 32];
	const char *e;
	void	*dl;

	e = getenv("AGG_SEED");
	seed = e != NULL && *e != '\0' ? (unsigned int)strtoul(e, NULL, 0) :
	    (unsigned int)time(NULL) ^ (unsigned int)getpid() << 16;
	rng = seed;
	plugin_path(path, sizeof(path));
	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		CHECK(!"aggregate.so loads");
		return check_done("test_aggregate");
	}
	plug = dlsym(dl, FP_PLUGIN_SYMBOL);
	CHECK(plug != NULL);
	if (plug == NULL)
		return check_done("test_aggregate");

	plugin_host_init(&host, "aggregate");
	real_remaining_ns = host.remaining_ns;
	host.log = fake_log;
	host.remaining_ns = fake_remaining_ns;
	msgpack_sbuffer_init(&in);
	msgpack_sbuffer_init(&out);
	msgpack_packer_init(&pin, &in, msgpack_sbuffer_write);
	msgpack_packer_init(&pout, &out, msgpack_sbuffer_write);
	msgpack_zone_init(&zone, 4096);

	test_descriptor();
	test_init();
	test_ops();
	test_by();
	test_numbers();
	test_errors();
	test_limits();
	test_group_json();
	test_random();

	plug->fini(&host, state);
	msgpack_zone_destroy(&zone);
	msgpack_sbuffer_destroy(&in);
	msgpack_sbuffer_destroy(&out);
	/* Not dlclose(): the plug-in's per-worker buffer (allocated by
	 * worker_init's first use, freed by no one, as in a worker) would
	 * become a leak. */
	if (check_fail != 0)
		fprintf(stderr, "test_aggregate: seed %u (AGG_SEED)\n", seed);
	return check_done("test_aggregate");
}
