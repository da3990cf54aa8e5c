#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"

struct block {
	struct block *next;
	size_t size;
	size_t used;
	uint8_t data[];
};

struct sigil_arena {
	struct block *head;
	size_t block_size;
	size_t total;
};

sigil_arena_t *sigil_arena_new(size_t block_size)
{
	sigil_arena_t *a = calloc(1, sizeof(*a));
	if (a != NULL) {
		a->block_size = block_size ? block_size : (size_t)1 << 20;
	}
	return a;
}

void sigil_arena_free(sigil_arena_t *arena)
{
	if (arena == NULL) {
		return;
	}
	struct block *b = arena->head;
	while (b != NULL) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	free(arena);
}

static void *arena_take(sigil_arena_t *a, size_t len, size_t align)
{
	struct block *b = a->head;
	if (b != NULL) {
		size_t off = (b->used + align - 1) & ~(align - 1);
		if (off + len <= b->size) {
			b->used = off + len;
			return b->data + off;
		}
	}
	/* Oversized requests get a block of their own, placed behind the
	 * current one so that its free space is not wasted. */
	size_t size = len > a->block_size / 4 ? len : a->block_size;
	struct block *nb = malloc(sizeof(*nb) + size);
	if (nb == NULL) {
		return NULL;
	}
	nb->size = size;
	nb->used = len;
	a->total += size;
	if (size != a->block_size && b != NULL) {
		nb->next = b->next;
		b->next = nb;
	} else {
		nb->next = b;
		a->head = nb;
	}
	return nb->data;
}

void *sigil_arena_alloc(sigil_arena_t *arena, size_t len)
{
	return arena_take(arena, len ? len : 1, 8);
}

void *sigil_arena_alloc_bytes(sigil_arena_t *arena, size_t len)
{
	return arena_take(arena, len ? len : 1, 1);
}

void *sigil_arena_dup(sigil_arena_t *arena, const void *src, size_t len)
{
	void *p = arena_take(arena, len ? len : 1, 1);
	if (p != NULL && len > 0) {
		memcpy(p, src, len);
	}
	return p;
}

size_t sigil_arena_size(const sigil_arena_t *arena)
{
	return arena->total;
}
