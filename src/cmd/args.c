/* Option values shared by the commands: times, durations, counts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/args.h"

/* YYYYMMDDHHMMSS in UTC, or seconds since the epoch. */
int cmd_parse_time(const char *s, uint64_t *out)
{
	size_t len = strlen(s);
	if (len == 0 || strspn(s, "0123456789") != len) {
		return -1;
	}
	if (len == 14) {
		struct tm tm = {0};
		if (sscanf(s, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon,
		           &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		           &tm.tm_sec) != 6 ||
		    tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
		    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
		    tm.tm_sec > 59) {
			return -1;
		}
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		struct tm want = tm, back;
		time_t t = timegm(&tm);
		/* timegm() normalises: 31 February would become 3 March */
		if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL ||
		    back.tm_mday != want.tm_mday ||
		    back.tm_mon != want.tm_mon ||
		    back.tm_year != want.tm_year ||
		    back.tm_hour != want.tm_hour ||
		    back.tm_min != want.tm_min || back.tm_sec != want.tm_sec) {
			return -1;
		}
		*out = (uint64_t)t;
		return 0;
	}
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	if (errno != 0 || len > 12) {
		return -1;
	}
	*out = v;
	return 0;
}

/* A number with an optional unit s, m, h, d or w. */
int cmd_parse_duration(const char *s, uint32_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-') {
		return -1;
	}
	unsigned long long mult = 1;
	if (*end != '\0') {
		switch (*end) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		case 'w':
			mult = 604800;
			break;
		default:
			return -1;
		}
		if (end[1] != '\0') {
			return -1;
		}
	}
	if (v > UINT32_MAX / mult) {
		return -1;
	}
	*out = (uint32_t)(v * mult);
	return 0;
}

int cmd_parse_count(const char *s, unsigned long max, unsigned long *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v > max) {
		return -1;
	}
	*out = v;
	return 0;
}
