/* Domain names in uncompressed wire form (RFC 1035 §3.1): a sequence of
 * length-prefixed labels ending with the root label 0.  Functions here do
 * not allocate; callers own all buffers.
 *
 * For ordering, a name is turned into a *sort key* (sigil_dname_key): its
 * labels from the root down, lowercased, each followed by a 0x00 separator,
 * with bytes 0x00 and 0x01 inside labels escaped as 0x01 0x01 and 0x01 0x02.
 * memcmp() on sort keys gives exactly the canonical DNS name order of
 * RFC 4034 §6.1, and a key that is a prefix of another belongs to an
 * ancestor.  The root name has the empty key.
 */
#ifndef SIGIL_DNS_NAME_H
#define SIGIL_DNS_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGIL_DNAME_MAXLEN 255
#define SIGIL_DNAME_MAXLABELS 128
/* Longest possible sort key: every byte of a 255-byte name escaped. */
#define SIGIL_DNAME_KEY_MAXLEN 512
/* Longest presentation form: every byte as \DDD, plus dots and NUL. */
#define SIGIL_DNAME_TXT_MAXLEN (SIGIL_DNAME_MAXLEN * 4 + 2)

/* Length of a well-formed wire name, including the root label. */
size_t sigil_dname_len(const uint8_t *name);

/* Checks that buf[0..maxlen) begins with a valid wire name; returns its
 * length or 0 when it is malformed (label too long, name over 255 bytes,
 * compression pointer, runs past maxlen). */
size_t sigil_dname_parse(const uint8_t *buf, size_t maxlen);

/* Number of labels, not counting the root (RFC 4034 §3.1.3 counting, but
 * a leading '*' label is counted: see sigil_dname_rrsig_labels). */
unsigned sigil_dname_labels(const uint8_t *name);

/* Label count as the RRSIG Labels field defines it: root not counted and a
 * leading wildcard label '*' not counted. */
unsigned sigil_dname_rrsig_labels(const uint8_t *name);

bool sigil_dname_is_wildcard(const uint8_t *name);

/* Copies name to out (at least sigil_dname_len bytes) in lowercase
 * (ASCII A-Z only, RFC 4034 §6.2). out may equal name. */
void sigil_dname_tolower(uint8_t *out, const uint8_t *name);

/* Case-insensitive equality. */
bool sigil_dname_equal(const uint8_t *a, const uint8_t *b);

/* Canonical order (RFC 4034 §6.1): <0, 0, >0. */
int sigil_dname_cmp(const uint8_t *a, const uint8_t *b);

/* True when name is sub or below parent (or equal to it). */
bool sigil_dname_is_subdomain(const uint8_t *name, const uint8_t *parent);

/* Writes the sort key of name to key (SIGIL_DNAME_KEY_MAXLEN bytes);
 * returns its length. */
size_t sigil_dname_key(uint8_t *key, const uint8_t *name);

/* Length of the part of a sort key (key, len) that is the key of the
 * name's ancestor with labels labels (len when the name has no more). */
size_t sigil_dname_key_ancestor_len(const uint8_t *key, size_t len,
                                    unsigned labels);

/* Presentation form with trailing dot, special characters escaped as in
 * RFC 1035 §5.1.  out must hold SIGIL_DNAME_TXT_MAXLEN bytes. */
void sigil_dname_to_str(char *out, const uint8_t *name);

/* Parses a presentation-form name; relative names are completed with
 * origin (wire form, may be NULL for absolute-only).  Returns the wire
 * length, or 0 when the text is not a valid name. */
size_t sigil_dname_from_str(uint8_t out[SIGIL_DNAME_MAXLEN], const char *txt,
                            const uint8_t *origin);

#endif
