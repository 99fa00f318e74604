/* A minimal TAP producer for the unit tests: automake's tap-driver counts the results. */
#ifndef NGD_TAP_H
#define NGD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failures;

__attribute__((format(printf, 4, 5))) static void tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", pass ? "ok" : "not ok", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failures++;
		printf("# failed at %s:%d\n", file, line);
	}
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...)                                                                  \
	do {                                                                                    \
		const char *got_ = (got), *want_ = (want);                                      \
		int same_ = got_ && want_ ? strcmp(got_, want_) == 0 : got_ == want_;           \
		tap_ok(same_, __FILE__, __LINE__, __VA_ARGS__);                                 \
		if (!same_)                                                                     \
			printf("#   got:  %s\n#   want: %s\n", got_ ? got_ : "(null)", want_ ? want_ : "(null)"); \
	} while (0)

static int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failures ? 1 : 0;
}

#endif
