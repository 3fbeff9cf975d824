/*
 * w3_data.h -- the W3 dataset of ../shared/peers built directly as
 * MessagePack (no JSON library): an array of `count' records
 *
 *	{"id":i,"name":"u%06x"(r>>8),"tags":["t%u"(r%1000) x3],
 *	 "score":(2*(r%40000)+1)/8.0,"active":(r>>31)==1,
 *	 "nested":{"a":r%10000,"b":"n%u"(r%100)}}
 *
 * one r = xorshift32 (13, 17, 5) per field, in this order, seed 0 replaced
 * by 0x9E3779B9 -- exactly as common/py/benchlib.py build_records().  Its
 * compact JSON for 10,000 records, seed 42, is 1,197,430 bytes.
 * Header-only: used by tests/bench/bench_json.c and the peers adapter
 * tests/peers/forkpool-json/fp_json_client.c.
 */
#ifndef FP_W3_DATA_H
#define FP_W3_DATA_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#define W3_RECORDS	10000
#define W3_SEED		42
#define W3_JSON_LEN	1197430

static inline uint32_t
w3_next(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static inline void
w3_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str_with_body(pk, s, n);
}

/* Packs the array into `sb' (initialised by the caller). */
static inline void
w3_pack(msgpack_sbuffer *sb, long count, uint32_t seed)
{
	msgpack_packer	 pk;
	uint32_t	 s = seed ? seed : 0x9E3779B9u, r;
	char		 tmp[32];
	long		 i;
	int		 t;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, (size_t)count);
	for (i = 0; i < count; i++) {
		msgpack_pack_map(&pk, 6);
		w3_str(&pk, "id");
		msgpack_pack_uint64(&pk, (uint64_t)i);
		w3_str(&pk, "name");
		snprintf(tmp, sizeof(tmp), "u%06x", w3_next(&s) >> 8);
		w3_str(&pk, tmp);
		w3_str(&pk, "tags");
		msgpack_pack_array(&pk, 3);
		for (t = 0; t < 3; t++) {
			snprintf(tmp, sizeof(tmp), "t%u", w3_next(&s) % 1000);
			w3_str(&pk, tmp);
		}
		w3_str(&pk, "score");
		msgpack_pack_double(&pk,
		    (double)(2 * (w3_next(&s) % 40000) + 1) / 8.0);
		w3_str(&pk, "active");
		if ((w3_next(&s) >> 31) == 1)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
		w3_str(&pk, "nested");
		msgpack_pack_map(&pk, 2);
		w3_str(&pk, "a");
		msgpack_pack_uint64(&pk, w3_next(&s) % 10000);
		w3_str(&pk, "b");
		r = w3_next(&s);
		snprintf(tmp, sizeof(tmp), "n%u", r % 100);
		w3_str(&pk, tmp);
	}
}

#endif /* FP_W3_DATA_H */
