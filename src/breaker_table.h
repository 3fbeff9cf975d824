/*
 * breaker_table.h -- the supervisor's circuit breakers, one per handler
 * (breaker_table.c), around the state machine of one breaker (breaker.h).
 */
#ifndef FP_BREAKER_TABLE_H
#define FP_BREAKER_TABLE_H

#include <stdint.h>

void	 breaker_table_init(void);
/* breaker_table_admit: -1: answer circuit_open; 0, with *probe if it is one. */
int	 breaker_table_admit(uint32_t handler, int *probe);
void	 breaker_table_result(uint32_t handler, int failure, int probe);
void	 breaker_table_abandon(uint32_t handler);
void	 breaker_table_reconfigure(void);

/* What forkpool.breakers says of one handler's breaker. */
struct breaker_status {
	const char	*state;		/* "closed", "open", "half-open" */
	uint32_t	 failures;	/* in the window */
	int		 open;		/* open or half-open */
	double		 open_s;	/* since it opened, if open */
};
/* breaker_table_status: handler h's breaker at now; -1 if h has none. */
int	 breaker_table_status(uint32_t h, uint64_t now,
	    struct breaker_status *);

#endif /* FP_BREAKER_TABLE_H */
