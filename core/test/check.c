/*
 * check.c: see check.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

int			check_passed;
int			check_failed;

bool
check_true(bool ok, const char *file, int line, const char *expr)
{
	if (ok)
		check_passed++;
	else
	{
		check_failed++;
		fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
	}
	return ok;
}

bool
check_eq_long(long got, long want, const char *file, int line, const char *expr)
{
	if (got == want)
		return check_true(true, file, line, expr);
	check_failed++;
	fprintf(stderr, "%s:%d: %s: got %ld, want %ld\n", file, line, expr, got, want);
	return false;
}

/* Relative tolerance 1e-9, the corpus comparison's. */
bool
check_eq_double(double got, double want, const char *file, int line, const char *expr)
{
	if (got == want || fabs(got - want) <= 1e-9 * fmax(fabs(got), fabs(want)))
		return check_true(true, file, line, expr);
	check_failed++;
	fprintf(stderr, "%s:%d: %s: got %.17g, want %.17g\n", file, line, expr, got, want);
	return false;
}

bool
check_eq_str(const char *got, const char *want, const char *file, int line, const char *expr)
{
	if ((got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0))
		return check_true(true, file, line, expr);
	check_failed++;
	fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", file, line, expr,
			got ? got : "(null)", want ? want : "(null)");
	return false;
}

int
check_summary(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed == 0 ? 0 : 1;
}
