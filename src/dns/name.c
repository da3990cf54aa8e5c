#include <string.h>

#include "dns/name.h"

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

size_t sigil_dname_len(const uint8_t *name)
{
	const uint8_t *p = name;
	while (*p != 0) {
		p += *p + 1;
	}
	return (size_t)(p - name) + 1;
}

size_t sigil_dname_parse(const uint8_t *buf, size_t maxlen)
{
	size_t pos = 0;
	while (pos < maxlen) {
		uint8_t len = buf[pos];
		if (len == 0) {
			return pos + 1 > SIGIL_DNAME_MAXLEN ? 0 : pos + 1;
		}
		if (len > 63) {
			return 0; /* compression pointer or extended label */
		}
		pos += (size_t)len + 1;
		if (pos >= SIGIL_DNAME_MAXLEN) {
			return 0;
		}
	}
	return 0;
}

unsigned sigil_dname_labels(const uint8_t *name)
{
	unsigned n = 0;
	while (*name != 0) {
		n++;
		name += *name + 1;
	}
	return n;
}

bool sigil_dname_is_wildcard(const uint8_t *name)
{
	return name[0] == 1 && name[1] == '*';
}

unsigned sigil_dname_rrsig_labels(const uint8_t *name)
{
	unsigned n = sigil_dname_labels(name);
	return sigil_dname_is_wildcard(name) ? n - 1 : n;
}

void sigil_dname_tolower(uint8_t *out, const uint8_t *name)
{
	for (;;) {
		uint8_t len = *name;
		*out++ = *name++;
		if (len == 0) {
			return;
		}
		for (uint8_t i = 0; i < len; i++) {
			*out++ = lower(*name++);
		}
	}
}

bool sigil_dname_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b) {
			return false;
		}
		uint8_t len = *a;
		if (len == 0) {
			return true;
		}
		a++;
		b++;
		for (uint8_t i = 0; i < len; i++) {
			if (lower(a[i]) != lower(b[i])) {
				return false;
			}
		}
		a += len;
		b += len;
	}
}

/* Offsets of each label, from the leftmost; returns the count. */
static unsigned label_offsets(const uint8_t *name,
                              uint8_t off[SIGIL_DNAME_MAXLABELS])
{
	unsigned n = 0;
	const uint8_t *p = name;
	while (*p != 0 && n < SIGIL_DNAME_MAXLABELS) {
		off[n++] = (uint8_t)(p - name);
		p += *p + 1;
	}
	return n;
}

int sigil_dname_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[SIGIL_DNAME_MAXLABELS], ob[SIGIL_DNAME_MAXLABELS];
	unsigned na = label_offsets(a, oa);
	unsigned nb = label_offsets(b, ob);
	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na];
		const uint8_t *lb = b + ob[--nb];
		uint8_t lena = la[0], lenb = lb[0];
		uint8_t min = lena < lenb ? lena : lenb;
		for (uint8_t i = 1; i <= min; i++) {
			uint8_t ca = lower(la[i]), cb = lower(lb[i]);
			if (ca != cb) {
				return ca < cb ? -1 : 1;
			}
		}
		if (lena != lenb) {
			return lena < lenb ? -1 : 1;
		}
	}
	if (na == nb) {
		return 0;
	}
	return na < nb ? -1 : 1;
}

bool sigil_dname_is_subdomain(const uint8_t *name, const uint8_t *parent)
{
	unsigned ln = sigil_dname_labels(name);
	unsigned lp = sigil_dname_labels(parent);
	if (ln < lp) {
		return false;
	}
	for (unsigned i = lp; i < ln; i++) {
		name += *name + 1;
	}
	return sigil_dname_equal(name, parent);
}

size_t sigil_dname_key(uint8_t *key, const uint8_t *name)
{
	uint8_t off[SIGIL_DNAME_MAXLABELS];
	unsigned n = label_offsets(name, off);
	size_t k = 0;
	while (n > 0) {
		const uint8_t *l = name + off[--n];
		for (uint8_t i = 1; i <= l[0]; i++) {
			uint8_t c = lower(l[i]);
			if (c <= 1) {
				key[k++] = 1;
				key[k++] = (uint8_t)(c + 1);
			} else {
				key[k++] = c;
			}
		}
		key[k++] = 0;
	}
	return k;
}

size_t sigil_dname_key_ancestor_len(const uint8_t *key, size_t len,
                                    unsigned labels)
{
	/* keys run from the root down, each label followed by a 0 byte */
	for (size_t pos = 0, seen = 0; pos < len; pos++) {
		if (key[pos] == 0 && ++seen == labels) {
			return pos + 1;
		}
	}
	return len;
}

void sigil_dname_to_str(char *out, const uint8_t *name)
{
	static const char digits[] = "0123456789";
	char *o = out;
	if (*name == 0) {
		*o++ = '.';
	}
	while (*name != 0) {
		uint8_t len = *name++;
		for (uint8_t i = 0; i < len; i++) {
			uint8_t c = *name++;
			if (c == '.' || c == '\\' || c == '"' || c == '(' ||
			    c == ')' || c == ';' || c == '$' || c == '@') {
				*o++ = '\\';
				*o++ = (char)c;
			} else if (c <= 0x20 || c >= 0x7f) {
				*o++ = '\\';
				*o++ = digits[c / 100];
				*o++ = digits[(c / 10) % 10];
				*o++ = digits[c % 10];
			} else {
				*o++ = (char)c;
			}
		}
		*o++ = '.';
	}
	*o = '\0';
}

size_t sigil_dname_from_str(uint8_t out[SIGIL_DNAME_MAXLEN], const char *txt,
                            const uint8_t *origin)
{
	size_t pos = 0;
	const char *p = txt;
	if (strcmp(txt, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	if (strcmp(txt, "@") == 0) {
		if (origin == NULL) {
			return 0;
		}
		size_t ol = sigil_dname_len(origin);
		memcpy(out, origin, ol);
		return ol;
	}
	while (*p != '\0') {
		size_t lpos = pos++;
		unsigned llen = 0;
		while (*p != '\0' && *p != '.') {
			unsigned c = (unsigned char)*p++;
			if (c == '\\') {
				if (p[0] >= '0' && p[0] <= '9') {
					if (!(p[1] >= '0' && p[1] <= '9' &&
					      p[2] >= '0' && p[2] <= '9')) {
						return 0;
					}
					c = (unsigned)(p[0] - '0') * 100 +
					    (unsigned)(p[1] - '0') * 10 +
					    (unsigned)(p[2] - '0');
					if (c > 255) {
						return 0;
					}
					p += 3;
				} else if (*p != '\0') {
					c = (unsigned char)*p++;
				} else {
					return 0;
				}
			}
			if (++llen > 63 || pos >= SIGIL_DNAME_MAXLEN) {
				return 0;
			}
			out[pos++] = (uint8_t)c;
		}
		if (llen == 0) {
			return 0; /* empty label */
		}
		out[lpos] = (uint8_t)llen;
		if (*p == '.') {
			p++;
			if (*p == '\0') {
				out[pos++] = 0;
				return pos > SIGIL_DNAME_MAXLEN ? 0 : pos;
			}
		}
	}
	/* relative name */
	if (origin == NULL) {
		return 0;
	}
	size_t ol = sigil_dname_len(origin);
	if (pos + ol > SIGIL_DNAME_MAXLEN) {
		return 0;
	}
	memcpy(out + pos, origin, ol);
	return pos + ol;
}
