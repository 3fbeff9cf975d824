/* top.c -- being written for issue 10. */
extern int fp_placeholder_top;
