/* Growable buffer and error messages. */
#include "lib/tap.h"
#include "util/buf.h"
#include "util/error.h"

int main(void)
{
	sigil_buf_t b = {0};
	ok(sigil_buf_append_u8(&b, 1) == SIGIL_EOK, "append u8");
	ok(sigil_buf_append_u16(&b, 0x0203) == SIGIL_EOK, "append u16");
	ok(sigil_buf_append_u32(&b, 0x04050607) == SIGIL_EOK, "append u32");
	const uint8_t want[] = {1, 2, 3, 4, 5, 6, 7};
	ok(b.len == 7 && memcmp(b.data, want, 7) == 0, "network byte order");
	for (int i = 0; i < 10000; i++) {
		sigil_buf_append_u8(&b, (uint8_t)i);
	}
	ok(b.len == 10007 && b.data[7 + 9999] == (uint8_t)9999, "grows");
	sigil_buf_reset(&b);
	ok(b.len == 0 && b.cap >= 10007, "reset keeps capacity");
	sigil_buf_free(&b);
	ok(b.data == NULL && b.cap == 0, "free");

	int distinct = 1;
	for (int i = SIGIL_EUNREACHABLE; i < 0; i++) {
		for (int j = i + 1; j < 0; j++) {
			distinct &= strcmp(sigil_strerror(i),
			                   sigil_strerror(j)) != 0;
		}
		distinct &= strcmp(sigil_strerror(i), "unknown error") != 0;
	}
	ok(distinct, "every error code has its own message");
	is_str(sigil_strerror(12345), "unknown error", "unknown code");
	return done_testing();
}
