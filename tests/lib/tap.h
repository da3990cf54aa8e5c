/* Minimal TAP producer for C unit tests, run by prove(1).
 * Use: plan(n) or done_testing() at the end; ok(cond, fmt, ...). */
#ifndef SIGIL_TESTS_TAP_H
#define SIGIL_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_run_;
static int tap_failed_;

static inline void plan(int n)
{
	printf("1..%d\n", n);
}

static inline int ok_(int cond, const char *file, int line, const char *fmt,
                      ...)
{
	va_list ap;
	tap_run_++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run_);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed_++;
		printf("#   Failed at %s line %d\n", file, line);
	}
	fflush(stdout);
	return cond;
}
#define ok(cond, ...) ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, exp, ...)                                                  \
	do {                                                                   \
		long long g_ = (long long)(got), e_ = (long long)(exp);        \
		if (!ok(g_ == e_, __VA_ARGS__)) {                              \
			printf("#   got %lld, expected %lld\n", g_, e_);       \
		}                                                              \
	} while (0)
#define is_str(got, exp, ...)                                                  \
	do {                                                                   \
		const char *g_ = (got), *e_ = (exp);                           \
		if (!ok(g_ != NULL && strcmp(g_, e_) == 0, __VA_ARGS__)) {     \
			printf("#   got '%s'\n#   expected '%s'\n",            \
			       g_ ? g_ : "(null)", e_);                        \
		}                                                              \
	} while (0)
#define is_mem(got, exp, len, ...)                                             \
	ok(memcmp((got), (exp), (len)) == 0, __VA_ARGS__)

static inline void diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline int done_testing(void)
{
	printf("1..%d\n", tap_run_);
	return tap_failed_ ? 1 : 0;
}

/* Decodes a hex string (whitespace ignored) into out; returns length. */
static inline size_t tap_hex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *hex; hex++) {
		int v;
		char c = *hex;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n >= cap)
				abort();
			out[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

#endif
