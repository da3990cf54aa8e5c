#include <stdio.h>
#include <string.h>

#include "dns/rdata.h"
#include "verify/internal.h"

int bitmap_decode(const uint8_t *bm, size_t len, uint16_t *out, size_t cap)
{
	size_t pos = 0, n = 0;
	int last_window = -1;
	while (pos < len) {
		if (pos + 2 > len) {
			return -1;
		}
		uint8_t window = bm[pos], blen = bm[pos + 1];
		if ((int)window <= last_window || blen == 0 || blen > 32 ||
		    pos + 2 + blen > len) {
			return -1;
		}
		last_window = window;
		for (unsigned i = 0; i < blen; i++) {
			uint8_t byte = bm[pos + 2 + i];
			for (unsigned b = 0; b < 8; b++) {
				if (byte & (0x80 >> b)) {
					if (n == cap) {
						return -1;
					}
					out[n++] = (uint16_t)(window * 256 +
					                      i * 8 + b);
				}
			}
		}
		pos += 2u + blen;
	}
	return (int)n;
}

void typelist_str(char *out, size_t cap, const uint16_t *t, size_t n)
{
	size_t pos = 0;
	out[0] = '\0';
	if (n == 0) {
		snprintf(out, cap, "(empty)");
		return;
	}
	for (size_t i = 0; i < n && pos + 1 < cap; i++) {
		char name[16];
		int w = snprintf(out + pos, cap - pos, "%s%s", i ? " " : "",
		                 sigil_rrtype_name(t[i], name));
		if (w < 0 || (size_t)w >= cap - pos) {
			break;
		}
		pos += (size_t)w;
	}
}
