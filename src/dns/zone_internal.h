/* Internals of the zone store shared by its files: dns/zone.c (the store)
 * and dns/zone_order.c (the order of RRs and of nodes). */
#ifndef SIGIL_DNS_ZONE_INTERNAL_H
#define SIGIL_DNS_ZONE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/name.h"
#include "dns/zone.h"
#include "util/arena.h"

#define RR_CHUNK (1u << 16)
#define NODE_CHUNK (1u << 14)

struct chunk {
	struct chunk *next;
	size_t used;
	size_t cap;
	/* followed by cap items */
};

struct sigil_zone {
	sigil_arena_t *arena;
	struct chunk *rr_chunks; /* head is the one being filled */
	struct chunk *node_chunks;
	sigil_node_t **nodes; /* all nodes; canonical order after finish */
	size_t node_count;
	size_t node_cap;
	uint32_t seq_next; /* seq of the next node added */
	size_t rr_count;
	size_t chunk_bytes;
	uint8_t apex[SIGIL_DNAME_MAXLEN];
	bool has_apex;
	sigil_node_t *apex_node;
};

/* Frees a chunk list. */
void zone_chunks_free(struct chunk *c);

/* Takes n items of size sz from the chunk list, opening a new chunk of
 * per_chunk items (or n, when more) when the current one cannot hold them
 * contiguously.  NULL when out of memory. */
void *zone_chunk_take(sigil_zone_t *z, struct chunk **list, size_t n, size_t sz,
                      size_t per_chunk);

/* Canonical order of two nodes' names (their sort keys). */
int zone_node_cmp(const sigil_node_t *a, const sigil_node_t *b);

#endif
