/* Helpers for the DNS and crypto unit tests: base64 text of keys and
 * signatures, names from text, RRSIG times and zone text written to a
 * temporary file.  Each aborts on input it
 * cannot take, as that is a fault of the test, not of the code it tests. */
#ifndef SIGIL_TESTS_DNSTEST_H
#define SIGIL_TESTS_DNSTEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dns/name.h"

/* Decodes base64 (white space ignored, '=' padding allowed) into out, which
 * holds cap bytes; returns the decoded length. */
static inline size_t test_b64(const char *in, uint8_t *out, size_t cap)
{
	char clean[4096];
	size_t n = 0, pad = 0;
	int len;

	for (; *in; in++) {
		if (*in != ' ' && *in != '\n' && *in != '\t') {
			if (n + 1 >= sizeof(clean)) {
				abort();
			}
			clean[n++] = *in;
		}
	}
	clean[n] = '\0';
	while (n > pad && clean[n - 1 - pad] == '=') {
		pad++;
	}
	/* EVP_DecodeBlock writes 3 bytes for every 4 characters, padding
	 * included. */
	if (n / 4 * 3 > cap) {
		abort();
	}
	len = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)n);
	if (len < 0 || (size_t)len < pad) {
		abort();
	}
	return (size_t)len - pad;
}

/* The wire form of an absolute name (up to SIGIL_DNAME_MAXLEN bytes) into
 * out; returns its length. */
static inline size_t test_dname(uint8_t *out, const char *txt)
{
	size_t len = sigil_dname_from_str(out, txt, NULL);

	if (len == 0) {
		abort();
	}
	return len;
}

/* YYYYMMDDHHmmSS (RFC 4034 §3.2) to seconds since the epoch. */
static inline uint32_t test_time(const char *txt)
{
	struct tm tm = {0};

	if (sscanf(txt, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon,
	           &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
		abort();
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (uint32_t)timegm(&tm);
}

/* DNSKEY RDATA (protocol 3) with a base64 public key into out, which holds
 * cap bytes; returns its length. */
static inline size_t test_dnskey(uint8_t *out, size_t cap, uint16_t flags,
                                 uint8_t alg, const char *key_b64)
{
	out[0] = (uint8_t)(flags >> 8);
	out[1] = (uint8_t)flags;
	out[2] = 3;
	out[3] = alg;
	return 4 + test_b64(key_b64, out + 4, cap - 4);
}

/* Writes text to a new file named after path, a template ending in
 * XXXXXX that is changed in place (mkstemp); the caller unlinks it. */
static inline void test_write_tmp(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		abort();
	}
}

#endif
