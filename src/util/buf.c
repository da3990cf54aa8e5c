#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"

void sigil_buf_free(sigil_buf_t *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

int sigil_buf_reserve(sigil_buf_t *buf, size_t extra)
{
	if (buf->len + extra <= buf->cap) {
		return SIGIL_EOK;
	}
	size_t cap = buf->cap ? buf->cap : 256;
	while (cap < buf->len + extra) {
		cap *= 2;
	}
	uint8_t *p = realloc(buf->data, cap);
	if (p == NULL) {
		return SIGIL_ENOMEM;
	}
	buf->data = p;
	buf->cap = cap;
	return SIGIL_EOK;
}

int sigil_buf_append(sigil_buf_t *buf, const void *data, size_t len)
{
	int ret = sigil_buf_reserve(buf, len);
	if (ret == SIGIL_EOK && len > 0) {
		memcpy(buf->data + buf->len, data, len);
		buf->len += len;
	}
	return ret;
}

int sigil_buf_append_u8(sigil_buf_t *buf, uint8_t v)
{
	return sigil_buf_append(buf, &v, 1);
}

int sigil_buf_append_u16(sigil_buf_t *buf, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return sigil_buf_append(buf, b, 2);
}

int sigil_buf_append_u32(sigil_buf_t *buf, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
	                (uint8_t)(v >> 8), (uint8_t)v};
	return sigil_buf_append(buf, b, 4);
}
