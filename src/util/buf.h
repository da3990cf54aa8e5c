/* Growable byte buffer owned by its user (typically one per thread, reused
 * across many operations to avoid allocation in hot loops). */
#ifndef SIGIL_UTIL_BUF_H
#define SIGIL_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint8_t *data;
	size_t len;
	size_t cap;
} sigil_buf_t;

/* A zeroed sigil_buf_t is a valid empty buffer. */
void sigil_buf_free(sigil_buf_t *buf);
static inline void sigil_buf_reset(sigil_buf_t *buf)
{
	buf->len = 0;
}
/* Ensures room for extra more bytes; SIGIL_EOK or SIGIL_ENOMEM. */
int sigil_buf_reserve(sigil_buf_t *buf, size_t extra);
int sigil_buf_append(sigil_buf_t *buf, const void *data, size_t len);
int sigil_buf_append_u8(sigil_buf_t *buf, uint8_t v);
int sigil_buf_append_u16(sigil_buf_t *buf, uint16_t v); /* network order */
int sigil_buf_append_u32(sigil_buf_t *buf, uint32_t v); /* network order */

#endif
