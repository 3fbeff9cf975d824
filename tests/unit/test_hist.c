/* test_hist.c -- being written for issue 10. */
int main(void) { return 77; }
