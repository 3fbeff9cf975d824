/*
 * aggregate.c -- an example forkpool plug-in (forkpool_plugin(3) walks through
 * it): group-and-aggregate over an array of records, SQL's GROUP BY.
 *
 *	aggregate.group      [records, spec]        -> [row, ...]
 *	aggregate.group_json [json_text, spec]      -> JSON text of the rows
 *
 * records is an array of maps.  spec is a map:
 *	"by":         a field name, or an array of 0..16 of them (none: one
 *	              group of all records)
 *	"aggregates": a map of output name -> [op] or [op, field], op one of
 *	              count (records; with a field, its non-nil values),
 *	              sum, avg, min, max (of a numeric field)
 *
 * The result has one row per group, in the order each group first
 * appears: a map of the "by" fields (their values in the group's first
 * record; nil where missing) and then the aggregates.  Group keys compare
 * as MessagePack bytes, so 1 and 1.0 are different groups.  nil or missing
 * values are ignored by sum, avg, min, max and count with a field; a
 * group with no values gets nil for them.  sum stays an exact integer
 * while every value is an integer and the sum fits in int64, else it
 * becomes a float64 (a NaN makes it NaN); avg is always a float64.  min
 * and max skip NaN and return the value as it was (an integer stays an
 * integer).  No records give no rows, even with "by": [].  A field named
 * twice in "by", an aggregate named twice, or a name that is both, is an
 * error.
 *
 * The `load' argument is "max-groups=N" (default 1000000): more groups
 * than that is error too_large.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "forkpool_plugin.h"

#define MAX_BY		16
#define MAX_AGGS	64
#define CHECK_EVERY	4096	/* records between deadline checks */

enum op { OP_COUNT, OP_SUM, OP_AVG, OP_MIN, OP_MAX };

/* What init sets up in the supervisor; shared by every worker. */
struct state {
	uint64_t	 max_groups;
};

/* Per worker (worker_init): a buffer reused by every call. */
static msgpack_sbuffer	 keybuf;

struct agg {
	const char	*name;
	uint32_t	 namelen;
	enum op		 op;
	const char	*field;		/* NULL: count of records */
	uint32_t	 fieldlen;
};

struct spec {
	const char	*by[MAX_BY];
	uint32_t	 bylen[MAX_BY];
	int		 nby;
	struct agg	 agg[MAX_AGGS];
	int		 nagg;
};

struct acc {
	uint64_t	 n;		/* values seen */
	int64_t		 isum;		/* exact while !isfloat */
	double		 fsum;
	int		 isfloat;
	const msgpack_object *min, *max;
};

struct group {
	size_t		 keyoff;	/* key bytes in the key arena */
	size_t		 keylen;
	uint64_t	 hash;
	const msgpack_object *first;	/* the group's first record */
};

struct table {
	struct group	*groups;
	size_t		 ngroups, capgroups;
	uint32_t	*slots;		/* group index + 1; 0 is empty */
	size_t		 nslots;	/* a power of two */
	char		*keys;		/* the key arena */
	size_t		 keyslen, keyscap;
	struct acc	*accs;		/* ngroups * nagg */
};

static int
str_eq(const msgpack_object *o, const char *s, uint32_t n)
{
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	    memcmp(o->via.str.ptr, s, n) == 0;
}

/* The value of `field' in the map m, or NULL. */
static const msgpack_object *
field_of(const msgpack_object *m, const char *field, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < m->via.map.size; i++)
		if (str_eq(&m->via.map.ptr[i].key, field, n))
			return &m->via.map.ptr[i].val;
	return NULL;
}

static int
parse_op(const msgpack_object *o, enum op *op)
{
	static const char *const names[] = { "count", "sum", "avg", "min",
	    "max" };
	int	 i;

	for (i = 0; i < 5; i++)
		if (str_eq(o, names[i], (uint32_t)strlen(names[i]))) {
			*op = (enum op)i;
			return 0;
		}
	return -1;
}

static int
parse_spec(struct fp_call *call, const msgpack_object *o, struct spec *sp)
{
	const struct fp_host *host = call->host;
	const msgpack_object *by = NULL, *aggs = NULL, *v;
	uint32_t i;
	int	 j;

	memset(sp, 0, sizeof(*sp));
	if (o->type != MSGPACK_OBJECT_MAP)
		return host->error(call, FP_E_INVALID_PARAMS,
		    "spec must be a map with \"by\" and \"aggregates\"");
	for (i = 0; i < o->via.map.size; i++) {
		if (str_eq(&o->via.map.ptr[i].key, "by", 2))
			by = &o->via.map.ptr[i].val;
		else if (str_eq(&o->via.map.ptr[i].key, "aggregates", 10))
			aggs = &o->via.map.ptr[i].val;
		else
			return host->error(call, FP_E_INVALID_PARAMS,
			    "spec: unknown key (expected by, aggregates)");
	}
	if (by == NULL || aggs == NULL)
		return host->error(call, FP_E_INVALID_PARAMS,
		    "spec needs \"by\" and \"aggregates\"");
	if (by->type == MSGPACK_OBJECT_STR) {
		sp->by[0] = by->via.str.ptr;
		sp->bylen[0] = by->via.str.size;
		sp->nby = 1;
	} else if (by->type == MSGPACK_OBJECT_ARRAY &&
	    by->via.array.size <= MAX_BY) {
		for (i = 0; i < by->via.array.size; i++) {
			v = &by->via.array.ptr[i];
			if (v->type != MSGPACK_OBJECT_STR)
				return host->error(call, FP_E_INVALID_PARAMS,
				    "spec: \"by\" must hold field names");
			sp->by[i] = v->via.str.ptr;
			sp->bylen[i] = v->via.str.size;
		}
		sp->nby = (int)by->via.array.size;
		for (i = 1; i < (uint32_t)sp->nby; i++)
			for (j = 0; j < (int)i; j++)
				if (sp->bylen[i] == sp->bylen[j] &&
				    memcmp(sp->by[i], sp->by[j],
				    sp->bylen[i]) == 0)
					return host->error(call,
					    FP_E_INVALID_PARAMS, "spec: \"by\" "
					    "names %.*s twice", (int)sp->bylen[i],
					    sp->by[i]);
	} else
		return host->error(call, FP_E_INVALID_PARAMS, "spec: \"by\" "
		    "must be a field name or an array of at most %d",
		    MAX_BY);
	if (aggs->type != MSGPACK_OBJECT_MAP || aggs->via.map.size == 0 ||
	    aggs->via.map.size > MAX_AGGS)
		return host->error(call, FP_E_INVALID_PARAMS, "spec: "
		    "\"aggregates\" must be a map of 1 to %d entries",
		    MAX_AGGS);
	for (i = 0; i < aggs->via.map.size; i++) {
		struct agg *a = &sp->agg[i];
		const msgpack_object *k = &aggs->via.map.ptr[i].key;

		v = &aggs->via.map.ptr[i].val;
		if (k->type != MSGPACK_OBJECT_STR)
			return host->error(call, FP_E_INVALID_PARAMS,
			    "spec: aggregate names must be strings");
		a->name = k->via.str.ptr;
		a->namelen = k->via.str.size;
		if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size < 1 ||
		    v->via.array.size > 2 ||
		    parse_op(&v->via.array.ptr[0], &a->op) == -1)
			return host->error(call, FP_E_INVALID_PARAMS,
			    "spec: aggregate %.*s: expected [op] or [op, "
			    "field], op count, sum, avg, min or max",
			    (int)a->namelen, a->name);
		if (v->via.array.size == 2) {
			if (v->via.array.ptr[1].type != MSGPACK_OBJECT_STR)
				return host->error(call, FP_E_INVALID_PARAMS,
				    "spec: aggregate %.*s: the field must be "
				    "a string", (int)a->namelen, a->name);
			a->field = v->via.array.ptr[1].via.str.ptr;
			a->fieldlen = v->via.array.ptr[1].via.str.size;
		} else if (a->op != OP_COUNT)
			return host->error(call, FP_E_INVALID_PARAMS,
			    "spec: aggregate %.*s: this op needs a field",
			    (int)a->namelen, a->name);
		for (j = 0; j < sp->nby; j++)
			if (sp->bylen[j] == a->namelen &&
			    memcmp(sp->by[j], a->name, a->namelen) == 0)
				return host->error(call, FP_E_INVALID_PARAMS,
				    "spec: %.*s is both a \"by\" field and an "
				    "aggregate", (int)a->namelen, a->name);
		for (j = 0; j < (int)i; j++)
			if (sp->agg[j].namelen == a->namelen &&
			    memcmp(sp->agg[j].name, a->name, a->namelen) == 0)
				return host->error(call, FP_E_INVALID_PARAMS,
				    "spec: aggregate %.*s is given twice",
				    (int)a->namelen, a->name);
	}
	sp->nagg = (int)aggs->via.map.size;
	return 0;
}

/* FNV-1a, 64 bits: keys are short. */
static uint64_t
hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h;
}

static int
table_grow(struct table *t)
{
	uint32_t	*slots;
	size_t		 n = t->nslots ? t->nslots * 2 : 1024, i, s;

	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < t->ngroups; i++) {
		s = t->groups[i].hash & (n - 1);
		while (slots[s] != 0)
			s = (s + 1) & (n - 1);
		slots[s] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

static void
table_free(struct table *t)
{
	free(t->groups);
	free(t->slots);
	free(t->keys);
	free(t->accs);
}

/*
 * The group of the key bytes k[0..n), added (with `first' as its first
 * record) if new.  Returns its index, -1 when out of memory, -2 when the
 * group would be one too many.
 */
static long
table_find(struct table *t, const char *k, size_t n,
    const msgpack_object *first, int nagg, uint64_t max_groups)
{
	uint64_t	 h = hash_bytes(k, n);
	struct group	*g;
	size_t		 s;
	void		*p;

	if (t->nslots == 0 || (t->ngroups + 1) * 2 > t->nslots)
		if (table_grow(t) == -1)
			return -1;
	for (s = h & (t->nslots - 1); t->slots[s] != 0;
	    s = (s + 1) & (t->nslots - 1)) {
		g = &t->groups[t->slots[s] - 1];
		/* An empty key (no "by" fields) has no bytes to compare. */
		if (g->hash == h && g->keylen == n &&
		    (n == 0 || memcmp(t->keys + g->keyoff, k, n) == 0))
			return (long)t->slots[s] - 1;
	}
	if (t->ngroups == max_groups)
		return -2;
	if (t->ngroups == t->capgroups) {
		size_t c = t->capgroups ? t->capgroups * 2 : 256;

		if ((p = realloc(t->groups, c * sizeof(*t->groups))) == NULL)
			return -1;
		t->groups = p;
		if ((p = realloc(t->accs, c * (size_t)nagg *
		    sizeof(*t->accs))) == NULL)
			return -1;
		t->accs = p;
		t->capgroups = c;
	}
	if (t->keyslen + n > t->keyscap) {
		size_t c = t->keyscap ? t->keyscap * 2 : 4096;

		while (c < t->keyslen + n)
			c *= 2;
		if ((p = realloc(t->keys, c)) == NULL)
			return -1;
		t->keys = p;
		t->keyscap = c;
	}
	if (n > 0)	/* k and t->keys may be NULL then */
		memcpy(t->keys + t->keyslen, k, n);
	g = &t->groups[t->ngroups];
	g->keyoff = t->keyslen;
	g->keylen = n;
	g->hash = h;
	g->first = first;
	t->keyslen += n;
	memset(&t->accs[t->ngroups * (size_t)nagg], 0,
	    (size_t)nagg * sizeof(*t->accs));
	t->slots[s] = (uint32_t)++t->ngroups;
	return (long)t->ngroups - 1;
}

static int
is_number(const msgpack_object *v)
{
	return v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ||
	    v->type == MSGPACK_OBJECT_FLOAT32 ||
	    v->type == MSGPACK_OBJECT_FLOAT64;
}

static double
as_double(const msgpack_object *v)
{
	switch (v->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return (double)v->via.u64;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return (double)v->via.i64;
	default:
		return v->via.f64;
	}
}

/* a < b: -1, a == b: 0, a > b: 1; integers exactly, else as doubles. */
static int
num_cmp(const msgpack_object *a, const msgpack_object *b)
{
	double	 x, y;

	if (a->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    b->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return a->via.u64 < b->via.u64 ? -1 : a->via.u64 > b->via.u64;
	if (a->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
	    b->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return a->via.i64 < b->via.i64 ? -1 : a->via.i64 > b->via.i64;
	if (a->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
	    b->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	if (a->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    b->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return 1;
	x = as_double(a);
	y = as_double(b);
	return x < y ? -1 : x > y;
}

static void
acc_sum(struct acc *a, const msgpack_object *v)
{
	int64_t	 i;

	if (!a->isfloat) {
		/* Add into i: on overflow the builtin stores the wrapped
		 * sum, and a->isum must keep the exact one. */
		if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
		    !__builtin_add_overflow(a->isum, v->via.i64, &i)) {
			a->isum = i;
			return;
		}
		if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    v->via.u64 <= INT64_MAX &&
		    !__builtin_add_overflow(a->isum, (int64_t)v->via.u64, &i)) {
			a->isum = i;
			return;
		}
		/* A float, or the sum no longer fits: go on in float64. */
		a->isfloat = 1;
		a->fsum = (double)a->isum;
	}
	a->fsum += as_double(v);
}

/* Fold the record r into its group's accumulators. */
static int
accumulate(struct fp_call *call, const struct spec *sp, struct acc *accs,
    const msgpack_object *r, uint32_t idx)
{
	const msgpack_object *v;
	struct acc	*a;
	int		 j;

	for (j = 0; j < sp->nagg; j++) {
		a = &accs[j];
		if (sp->agg[j].field == NULL) {
			a->n++;
			continue;
		}
		v = field_of(r, sp->agg[j].field, sp->agg[j].fieldlen);
		if (v == NULL || v->type == MSGPACK_OBJECT_NIL)
			continue;
		if (sp->agg[j].op == OP_COUNT) {
			a->n++;
			continue;
		}
		if (!is_number(v))
			return call->host->error(call, FP_E_INVALID_PARAMS,
			    "record %u: field %.*s is not a number", idx,
			    (int)sp->agg[j].fieldlen, sp->agg[j].field);
		/* NaN has no place in an order: min and max skip it. */
		if ((sp->agg[j].op == OP_MIN || sp->agg[j].op == OP_MAX) &&
		    (v->type == MSGPACK_OBJECT_FLOAT32 ||
		    v->type == MSGPACK_OBJECT_FLOAT64) &&
		    v->via.f64 != v->via.f64)
			continue;
		a->n++;
		switch (sp->agg[j].op) {
		case OP_SUM:
		case OP_AVG:
			acc_sum(a, v);
			break;
		case OP_MIN:
			if (a->min == NULL || num_cmp(v, a->min) < 0)
				a->min = v;
			break;
		case OP_MAX:
			if (a->max == NULL || num_cmp(v, a->max) > 0)
				a->max = v;
			break;
		case OP_COUNT:
			break;
		}
	}
	return 0;
}

static void
pack_acc(msgpack_packer *pk, const struct agg *g, const struct acc *a)
{
	if (g->op == OP_COUNT) {
		msgpack_pack_uint64(pk, a->n);
		return;
	}
	if (a->n == 0) {
		msgpack_pack_nil(pk);
		return;
	}
	switch (g->op) {
	case OP_SUM:
		if (a->isfloat)
			msgpack_pack_double(pk, a->fsum);
		else
			msgpack_pack_int64(pk, a->isum);
		break;
	case OP_AVG:
		msgpack_pack_double(pk, (a->isfloat ? a->fsum :
		    (double)a->isum) / (double)a->n);
		break;
	case OP_MIN:
		msgpack_pack_object(pk, *a->min);
		break;
	default:
		msgpack_pack_object(pk, *a->max);
		break;
	}
}

static void
pack_rows(msgpack_packer *pk, const struct spec *sp, const struct table *t)
{
	const msgpack_object *v;
	size_t	 i;
	int	 j;

	msgpack_pack_array(pk, t->ngroups);
	for (i = 0; i < t->ngroups; i++) {
		msgpack_pack_map(pk, (size_t)(sp->nby + sp->nagg));
		for (j = 0; j < sp->nby; j++) {
			msgpack_pack_str_with_body(pk, sp->by[j], sp->bylen[j]);
			v = field_of(t->groups[i].first, sp->by[j],
			    sp->bylen[j]);
			if (v != NULL)
				msgpack_pack_object(pk, *v);
			else
				msgpack_pack_nil(pk);
		}
		for (j = 0; j < sp->nagg; j++) {
			msgpack_pack_str_with_body(pk, sp->agg[j].name,
			    sp->agg[j].namelen);
			pack_acc(pk, &sp->agg[j],
			    &t->accs[i * (size_t)sp->nagg + j]);
		}
	}
}

/* Group records by spec and write the rows with pk. */
static int
group(struct fp_call *call, const msgpack_object *records,
    const msgpack_object *spec, msgpack_packer *pk)
{
	const struct state *st = call->state;
	const struct fp_host *host = call->host;
	const msgpack_object *r, *v;
	msgpack_packer	 kp;
	struct spec	 sp;
	struct table	 t;
	uint32_t	 i;
	long		 g;
	int		 j, rc = -1;

	if (parse_spec(call, spec, &sp) == -1)
		return -1;
	if (records->type != MSGPACK_OBJECT_ARRAY)
		return host->error(call, FP_E_INVALID_PARAMS,
		    "records must be an array of maps");
	memset(&t, 0, sizeof(t));
	msgpack_packer_init(&kp, &keybuf, msgpack_sbuffer_write);
	for (i = 0; i < records->via.array.size; i++) {
		r = &records->via.array.ptr[i];
		if (r->type != MSGPACK_OBJECT_MAP) {
			host->error(call, FP_E_INVALID_PARAMS,
			    "record %u is not a map", i);
			goto out;
		}
		/* Stop early rather than be killed at the deadline. */
		if (i % CHECK_EVERY == CHECK_EVERY - 1 &&
		    host->remaining_ns(call) == 0) {
			host->error(call, FP_E_TIMEOUT, "deadline passed "
			    "after %u of %u records", i,
			    records->via.array.size);
			goto out;
		}
		/* The key: the "by" values, packed; missing ones as nil. */
		msgpack_sbuffer_clear(&keybuf);
		for (j = 0; j < sp.nby; j++) {
			v = field_of(r, sp.by[j], sp.bylen[j]);
			if (v != NULL)
				msgpack_pack_object(&kp, *v);
			else
				msgpack_pack_nil(&kp);
		}
		g = table_find(&t, keybuf.data, keybuf.size, r, sp.nagg,
		    st->max_groups);
		if (g == -2) {
			host->error(call, FP_E_TOO_LARGE, "more than %llu "
			    "groups (the plug-in's max-groups)",
			    (unsigned long long)st->max_groups);
			goto out;
		}
		if (g == -1) {
			host->error(call, FP_E_INTERNAL, "out of memory");
			goto out;
		}
		if (accumulate(call, &sp, &t.accs[(size_t)g * (size_t)sp.nagg],
		    r, i) == -1)
			goto out;
	}
	pack_rows(pk, &sp, &t);
	rc = 0;
out:
	table_free(&t);
	return rc;
}

static int
h_group(struct fp_call *call, const msgpack_object *params)
{
	if (params->via.array.size != 2)
		return call->host->error(call, FP_E_INVALID_PARAMS,
		    "expected [records, spec]");
	return group(call, &params->via.array.ptr[0],
	    &params->via.array.ptr[1], call->pk);
}

/*
 * The same over JSON text: decode it with the daemon's decoder, group,
 * and encode the rows with the daemon's encoder.
 */
static int
h_group_json(struct fp_call *call, const msgpack_object *params)
{
	const struct fp_host *host = call->host;
	struct fp_json_out in, out;
	msgpack_unpacked records;
	msgpack_sbuffer	 rows;
	msgpack_packer	 pk;
	const char	*s;
	size_t		 n, off = 0;
	int		 rc = -1;

	if (params->via.array.size != 2)
		return host->error(call, FP_E_INVALID_PARAMS,
		    "expected [json_text, spec]");
	if (fp_object_bytes(&params->via.array.ptr[0], &s, &n) == -1)
		return host->error(call, FP_E_INVALID_PARAMS,
		    "json_text must be a string");
	if (host->json_decode(s, n, NULL, &in) == -1)
		return host->error(call, FP_E_INVALID_PARAMS, "json_text: %s "
		    "at line %u, column %u", in.error, in.line, in.column);
	msgpack_unpacked_init(&records);
	msgpack_sbuffer_init(&rows);
	msgpack_packer_init(&pk, &rows, msgpack_sbuffer_write);
	if (msgpack_unpack_next(&records, (const char *)in.data, in.len,
	    &off) != MSGPACK_UNPACK_SUCCESS) {
		host->error(call, FP_E_INVALID_PARAMS,
		    "json_text nests too deeply");
		goto out;
	}
	if (group(call, &records.data, &params->via.array.ptr[1], &pk) == -1)
		goto out;
	if (host->json_encode(rows.data, rows.size, NULL, &out) == -1) {
		host->error(call, FP_E_HANDLER_ERROR, "cannot encode the "
		    "rows: %s", out.error);
		goto out;
	}
	msgpack_pack_str_with_body(call->pk, out.data, out.len);
	free(out.data);
	rc = 0;
out:
	msgpack_sbuffer_destroy(&rows);
	msgpack_unpacked_destroy(&records);
	free(in.data);
	return rc;
}

static int
init(const struct fp_host *host, const char *arg, void **statep, char *err,
    size_t errlen)
{
	struct state	*st;
	char		*end;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->max_groups = 1000000;
	if (arg != NULL) {
		if (strncmp(arg, "max-groups=", 11) != 0 ||
		    arg[11] < '0' || arg[11] > '9' ||
		    (st->max_groups = strtoull(arg + 11, &end, 10)) == 0 ||
		    *end != '\0' || st->max_groups > UINT32_MAX - 1) {
			snprintf(err, errlen, "bad argument \"%s\" (expected "
			    "max-groups=N, N from 1 to %u)", arg,
			    UINT32_MAX - 1);
			free(st);
			return -1;
		}
	}
	*statep = st;
	host->log(host, FP_LOG_INFO, "aggregate_ready", "max_groups=%llu",
	    (unsigned long long)st->max_groups);
	return 0;
}

static int
worker_init(const struct fp_host *host, void *state, char *err,
    size_t errlen)
{
	msgpack_sbuffer_init(&keybuf);
	return 0;
}

static void
fini(const struct fp_host *host, void *state)
{
	free(state);
}

static const struct fp_plugin_handler handlers[] = {
	{ "aggregate.group",	  h_group,	0 },
	{ "aggregate.group_json", h_group_json,	0 },
	{ NULL, NULL, 0 }
};

const struct fp_plugin forkpool_plugin = {
	FP_PLUGIN_HEADER,
	.name = "aggregate",
	.version = "1.0",
	.handlers = handlers,
	.init = init,
	.worker_init = worker_init,
	.fini = fini,
};
