/* Bump allocator for data that lives as long as one owner (a zone version,
 * a transfer, a signing batch).  Memory is released all at once by
 * sigil_arena_free(); individual allocations are never freed.
 *
 * Allocations are stable: blocks are never moved.  Not thread-safe; give
 * each thread its own arena.
 */
#ifndef SIGIL_UTIL_ARENA_H
#define SIGIL_UTIL_ARENA_H

#include <stddef.h>

typedef struct sigil_arena sigil_arena_t;

/* block_size: size of the blocks requested from malloc (0: 1 MiB). */
sigil_arena_t *sigil_arena_new(size_t block_size);
void sigil_arena_free(sigil_arena_t *arena);

/* Returns len bytes aligned to 8, or NULL when out of memory. */
void *sigil_arena_alloc(sigil_arena_t *arena, size_t len);
/* Unaligned allocation, for byte strings packed densely. */
void *sigil_arena_alloc_bytes(sigil_arena_t *arena, size_t len);
/* Copies len bytes into the arena. */
void *sigil_arena_dup(sigil_arena_t *arena, const void *src, size_t len);

/* Total bytes obtained from malloc. */
size_t sigil_arena_size(const sigil_arena_t *arena);

#endif
