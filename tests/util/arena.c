/* Arena: alignment, stability of earlier allocations, oversized blocks. */
#include <stdint.h>

#include "lib/tap.h"
#include "util/arena.h"

int main(void)
{
	sigil_arena_t *a = sigil_arena_new(4096);
	ok(a != NULL, "arena created");
	uint8_t *first = sigil_arena_alloc_bytes(a, 3);
	memcpy(first, "abc", 3);
	void *aligned = sigil_arena_alloc(a, 16);
	ok(((uintptr_t)aligned & 7) == 0, "sigil_arena_alloc aligns to 8");
	void *ptrs[1000];
	int stable = 1;
	for (int i = 0; i < 1000; i++) {
		ptrs[i] = sigil_arena_dup(a, &i, sizeof(i));
	}
	for (int i = 0; i < 1000; i++) {
		int v;
		memcpy(&v, ptrs[i], sizeof(v));
		stable &= v == i;
	}
	ok(stable, "allocations keep their contents across new blocks");
	ok(memcmp(first, "abc", 3) == 0, "first allocation intact");
	uint8_t *big = sigil_arena_alloc_bytes(a, 100000);
	ok(big != NULL, "oversized allocation");
	memset(big, 0x5a, 100000);
	uint8_t *after = sigil_arena_alloc_bytes(a, 8);
	ok(after != NULL && (after < big || after >= big + 100000),
	   "small allocation after an oversized one does not overlap it");
	ok(sigil_arena_size(a) >= 100000 + 4096,
	   "size accounts for all blocks");
	sigil_arena_free(a);
	sigil_arena_free(NULL);
	ok(1, "free(NULL) is a no-op");
	return done_testing();
}
