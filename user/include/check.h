// Reporting for the test programs (captest, capescape, syscalltest;
// user/lib/check.c): each check prints "ok   WHAT" or "FAIL WHAT: detail"
// and is counted, in check_passed / check_failed, or, inside a child
// started by check_in_child, sent to the parent as one byte, so checks made
// after a fork, in capability mode or in a child that may be killed are
// still counted by the process that prints the total.
#ifndef KEEL_CHECK_H
#define KEEL_CHECK_H

extern int check_passed, check_failed;

// Counts one result (see above).
void check_tally(int ok);
// Prints the result ("FAIL" lines get fmt's detail) and counts it.
void check(int ok, const char *what, const char *fmt, ...);
// Runs fn in a forked child whose checks this process counts. Returns the
// child's exit status (-1 when the pipe or fork failed, which is printed
// and counted as a failure); *finished is 1 when fn returned, 0 when the
// child ended before (an exit or a signal in the middle of its checks).
int check_in_child(const char *what, void (*fn)(void), int *finished);

#endif
