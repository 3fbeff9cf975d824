/*
 * source_scripts.h -- the Lua scripts a source runs in Redis
 * (source_scripts.c, for source.c): loaded on each connection with SCRIPT
 * LOAD and run with EVALSHA, so that each step that must be atomic is.
 * Their KEYS and ARGV are described where they are written.
 */
#ifndef FP_SOURCE_SCRIPTS_H
#define FP_SOURCE_SCRIPTS_H

enum { SCRIPT_ANSWER, SCRIPT_CLAIM, SCRIPT_RENEW, SCRIPT_LEASE,
	SCRIPT_RELEASE, NSCRIPTS };

extern const char *const source_scripts[NSCRIPTS];

#endif /* FP_SOURCE_SCRIPTS_H */
