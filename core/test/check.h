/*
 * check.h: the smallest test harness that says what failed.
 *
 * CHECK(cond) and CHECK_EQ_*(got, want) print file:line and both values on
 * failure and count; check_summary() prints "N passed, N failed" and returns
 * the exit status for main().
 */
#ifndef RTCSTATS_CHECK_H
#define RTCSTATS_CHECK_H

#include <stdbool.h>

extern int	check_passed;
extern int	check_failed;

bool		check_true(bool ok, const char *file, int line, const char *expr);
bool		check_eq_long(long got, long want, const char *file, int line, const char *expr);
bool		check_eq_double(double got, double want, const char *file, int line, const char *expr);
bool		check_eq_str(const char *got, const char *want, const char *file, int line,
						 const char *expr);
int			check_summary(const char *name);

#define CHECK(cond) check_true((cond), __FILE__, __LINE__, #cond)
#define CHECK_EQ_LONG(got, want) check_eq_long((long) (got), (long) (want), __FILE__, __LINE__, #got)
#define CHECK_EQ_DOUBLE(got, want) check_eq_double((got), (want), __FILE__, __LINE__, #got)
#define CHECK_EQ_STR(got, want) check_eq_str((got), (want), __FILE__, __LINE__, #got)

#endif
