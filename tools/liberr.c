/*
 * liberr.c -- the error codes of forkpool-rpc(7) and their wire strings.
 *
 * The strings are a documented contract: clients in every language match on
 * them, so they never change and new codes are only ever appended.
 */
#include <string.h>

#include "forkpool.h"

static const char *const fp_err_names[FP_E__COUNT] = {
	[FP_OK] =			"ok",
	[FP_E_BAD_REQUEST] =		"bad_request",
	[FP_E_NO_SUCH_METHOD] =		"no_such_method",
	[FP_E_INVALID_PARAMS] =		"invalid_params",
	[FP_E_TOO_LARGE] =		"too_large",
	[FP_E_QUEUE_FULL] =		"queue_full",
	[FP_E_TIMEOUT] =		"timeout",
	[FP_E_WORKER_CRASHED] =		"worker_crashed",
	[FP_E_HANDLER_ERROR] =		"handler_error",
	[FP_E_CIRCUIT_OPEN] =		"circuit_open",
	[FP_E_CANCELLED] =		"cancelled",
	[FP_E_SHUTTING_DOWN] =		"shutting_down",
	[FP_E_PERMISSION_DENIED] =	"permission_denied",
	[FP_E_INTERNAL] =		"internal",
	[FP_E_DEAD_LETTERED] =		"dead_lettered",
};

const char *
fp_err_name(int code)
{
	if (code < 0 || code >= FP_E__COUNT)
		return fp_err_names[FP_E_INTERNAL];
	return fp_err_names[code];
}

int
fp_err_code(const char *name, size_t len)
{
	int	 i;

	if (name == NULL)
		return -1;
	for (i = 0; i < FP_E__COUNT; i++) {
		if (strlen(fp_err_names[i]) == len &&
		    memcmp(fp_err_names[i], name, len) == 0)
			return i;
	}
	return -1;
}
