/* The zone store (dns/zone.h): nodes and RRs in chunks that never move
 * (until sigil_zone_compact), names and RDATA in one arena, zone cuts;
 * the order of RRs and nodes is in dns/zone_order.c. */
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"
#include "dns/zone.h"
#include "dns/zone_internal.h"
#include "util/arena.h"
#include "util/error.h"

sigil_zone_t *sigil_zone_new(void)
{
	sigil_zone_t *z = calloc(1, sizeof(*z));
	if (z == NULL) {
		return NULL;
	}
	z->arena = sigil_arena_new(4u << 20);
	if (z->arena == NULL) {
		free(z);
		return NULL;
	}
	return z;
}

void zone_chunks_free(struct chunk *c)
{
	while (c != NULL) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
}

void sigil_zone_free(sigil_zone_t *zone)
{
	if (zone == NULL) {
		return;
	}
	zone_chunks_free(zone->rr_chunks);
	zone_chunks_free(zone->node_chunks);
	free(zone->nodes);
	sigil_arena_free(zone->arena);
	free(zone);
}

const uint8_t *sigil_zone_apex(const sigil_zone_t *zone)
{
	return zone->has_apex ? zone->apex : NULL;
}

int sigil_zone_set_apex(sigil_zone_t *zone, const uint8_t *apex)
{
	if (zone->has_apex) {
		return sigil_dname_equal(zone->apex, apex) ? SIGIL_EOK :
		                                             SIGIL_EINVAL;
	}
	sigil_dname_tolower(zone->apex, apex);
	zone->has_apex = true;
	return SIGIL_EOK;
}

/* Takes n items of size sz from the current chunk list, opening a new chunk
 * when the current one cannot hold them contiguously. */
void *zone_chunk_take(sigil_zone_t *z, struct chunk **list, size_t n, size_t sz,
                      size_t per_chunk)
{
	struct chunk *c = *list;
	if (c == NULL || c->used + n > c->cap) {
		size_t cap = n > per_chunk ? n : per_chunk;
		struct chunk *nc = malloc(sizeof(*nc) + cap * sz);
		if (nc == NULL) {
			return NULL;
		}
		nc->used = 0;
		nc->cap = cap;
		z->chunk_bytes += sizeof(*nc) + cap * sz;
		if (cap > per_chunk && c != NULL) {
			/* Oversized: keep filling the current chunk afterwards. */
			nc->next = c->next;
			c->next = nc;
		} else {
			nc->next = c;
			*list = nc;
		}
		c = nc;
	}
	void *p = (uint8_t *)(c + 1) + c->used * sz;
	c->used += n;
	return p;
}

sigil_node_t *sigil_zone_add_node(sigil_zone_t *zone, const uint8_t *owner,
                                  const sigil_rr_t *rrs, size_t count,
                                  uint32_t line)
{
	uint8_t key[SIGIL_DNAME_KEY_MAXLEN];
	size_t olen = sigil_dname_len(owner);
	size_t klen = sigil_dname_key(key, owner);

	if (zone->node_count == zone->node_cap) {
		size_t cap = zone->node_cap ? zone->node_cap * 2 : 4096;
		sigil_node_t **p = realloc(zone->nodes, cap * sizeof(*p));
		if (p == NULL) {
			return NULL;
		}
		zone->nodes = p;
		zone->node_cap = cap;
	}
	sigil_node_t *node = zone_chunk_take(zone, &zone->node_chunks, 1,
	                                     sizeof(sigil_node_t), NODE_CHUNK);
	sigil_rr_t *dst = zone_chunk_take(zone, &zone->rr_chunks, count,
	                                  sizeof(sigil_rr_t), RR_CHUNK);
	uint8_t *names = sigil_arena_alloc_bytes(zone->arena, olen + klen);
	if (node == NULL || dst == NULL || names == NULL) {
		return NULL;
	}
	memcpy(names, owner, olen);
	memcpy(names + olen, key, klen);
	for (size_t i = 0; i < count; i++) {
		dst[i] = rrs[i];
		dst[i].status = 0;
		dst[i].aux = 0;
		dst[i].aux2 = 0;
		dst[i].rdata = sigil_arena_dup(zone->arena, rrs[i].rdata,
		                               rrs[i].rdlen);
		if (dst[i].rdata == NULL) {
			return NULL;
		}
	}
	*node = (sigil_node_t){
		.owner = names,
		.key = names + olen,
		.rrs = dst,
		.rr_count = (uint32_t)count,
		.key_len = (uint16_t)klen,
		.line = line,
		.seq = zone->seq_next++,
	};
	zone->nodes[zone->node_count++] = node;
	zone->rr_count += count;
	return node;
}

/* --- zone cuts --------------------------------------------------------- */

static bool key_is_below(const sigil_node_t *n, const uint8_t *key, size_t len)
{
	return n->key_len > len && memcmp(n->key, key, len) == 0;
}

void sigil_zone_classify(sigil_zone_t *zone)
{
	uint8_t apex_key[SIGIL_DNAME_KEY_MAXLEN];
	size_t apex_len = 0;
	const uint8_t *cut_key = NULL; /* innermost cut or DNAME above */
	size_t cut_len = 0;

	zone->apex_node = NULL;
	if (zone->has_apex) {
		apex_len = sigil_dname_key(apex_key, zone->apex);
	}
	for (size_t i = 0; i < zone->node_count; i++) {
		sigil_node_t *n = zone->nodes[i];
		n->flags &= (uint16_t)(SIGIL_NODE_SORTED | SIGIL_NODE_MERGED);
		bool at_apex = zone->has_apex && n->key_len == apex_len &&
		               memcmp(n->key, apex_key, apex_len) == 0;
		if (at_apex) {
			n->flags |= SIGIL_NODE_APEX;
			zone->apex_node = n;
			continue;
		}
		if (!zone->has_apex || !key_is_below(n, apex_key, apex_len)) {
			n->flags |= SIGIL_NODE_OUTSIDE;
			continue;
		}
		if (cut_key != NULL && key_is_below(n, cut_key, cut_len)) {
			n->flags |= SIGIL_NODE_NONAUTH;
			continue;
		}
		cut_key = NULL;
		size_t cnt;
		if (sigil_node_rrset(n, SIGIL_T_NS, &cnt) != NULL) {
			n->flags |= SIGIL_NODE_DELEG;
			if (sigil_node_rrset(n, SIGIL_T_DS, &cnt) != NULL) {
				n->flags |= SIGIL_NODE_DS;
			}
			cut_key = n->key;
			cut_len = n->key_len;
		} else if (sigil_node_rrset(n, SIGIL_T_DNAME, &cnt) != NULL) {
			/* Names below a DNAME are occluded; the DNAME node
			 * itself stays authoritative. */
			cut_key = n->key;
			cut_len = n->key_len;
		}
		/* A node holding only NSEC3 (and RRSIG) is a hashed owner. */
		bool hashed = n->rr_count > 0;
		for (uint32_t r = 0; r < n->rr_count && hashed; r++) {
			uint16_t t = n->rrs[r].type;
			if (t != SIGIL_T_NSEC3 &&
			    !(t == SIGIL_T_RRSIG &&
			      sigil_rrsig_covered(&n->rrs[r]) ==
			              SIGIL_T_NSEC3)) {
				hashed = false;
			}
		}
		if (hashed) {
			n->flags |= SIGIL_NODE_HASHED;
		}
	}
}

size_t sigil_zone_node_count(const sigil_zone_t *zone)
{
	return zone->node_count;
}

sigil_node_t *sigil_zone_node(const sigil_zone_t *zone, size_t i)
{
	return zone->nodes[i];
}

long sigil_zone_find(const sigil_zone_t *zone, const uint8_t *name)
{
	uint8_t key[SIGIL_DNAME_KEY_MAXLEN];
	sigil_node_t probe = {.key = key};
	probe.key_len = (uint16_t)sigil_dname_key(key, name);
	size_t lo = 0, hi = zone->node_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = zone_node_cmp(zone->nodes[mid], &probe);
		if (c == 0) {
			return (long)mid;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return -1;
}

sigil_node_t *sigil_zone_apex_node(const sigil_zone_t *zone)
{
	return zone->apex_node;
}

void sigil_zone_filter(sigil_zone_t *zone,
                       bool (*keep)(const sigil_node_t *node,
                                    const sigil_rr_t *rr, void *ctx),
                       void *ctx)
{
	size_t out = 0;

	for (size_t i = 0; i < zone->node_count; i++) {
		sigil_node_t *n = zone->nodes[i];
		uint32_t kept = 0;

		for (uint32_t k = 0; k < n->rr_count; k++) {
			if (keep(n, &n->rrs[k], ctx)) {
				n->rrs[kept++] = n->rrs[k];
			}
		}
		zone->rr_count -= n->rr_count - kept;
		n->rr_count = kept;
		if (kept > 0 || n == zone->apex_node) {
			zone->nodes[out++] = n;
		}
	}
	zone->node_count = out;
}

int sigil_zone_node_append(sigil_zone_t *zone, sigil_node_t *node,
                           const sigil_rr_t *rrs, size_t count)
{
	size_t total = node->rr_count + count;
	sigil_rr_t *dst;

	if (total > UINT32_MAX) {
		return SIGIL_ENOMEM;
	}
	dst = zone_chunk_take(zone, &zone->rr_chunks, total, sizeof(sigil_rr_t),
	                      RR_CHUNK);
	if (dst == NULL) {
		return SIGIL_ENOMEM;
	}
	memcpy(dst, node->rrs, node->rr_count * sizeof(*dst));
	for (size_t i = 0; i < count; i++) {
		dst[node->rr_count + i] = rrs[i];
		dst[node->rr_count + i].status = 0;
		dst[node->rr_count + i].aux = 0;
		dst[node->rr_count + i].aux2 = 0;
	}
	node->rrs = dst;
	node->rr_count = (uint32_t)total;
	node->flags = (uint16_t)(node->flags & ~SIGIL_NODE_SORTED);
	zone->rr_count += count;
	sigil_node_sort(node);
	/* a record already there is kept once */
	zone->rr_count -= total - node->rr_count;
	return SIGIL_EOK;
}

uint8_t *sigil_zone_alloc(sigil_zone_t *zone, size_t len)
{
	return sigil_arena_alloc_bytes(zone->arena, len);
}

size_t sigil_zone_rr_count(const sigil_zone_t *zone)
{
	return zone->rr_count;
}

size_t sigil_zone_memory(const sigil_zone_t *zone)
{
	return sigil_arena_size(zone->arena) + zone->chunk_bytes +
	       zone->node_cap * sizeof(zone->nodes[0]);
}

sigil_rr_t *sigil_node_rrset(const sigil_node_t *node, uint16_t type,
                             size_t *count)
{
	sigil_rr_t *first = NULL;
	size_t n = 0;
	for (uint32_t i = 0; i < node->rr_count; i++) {
		if (node->rrs[i].type == type) {
			if (first == NULL) {
				first = &node->rrs[i];
			}
			n++;
		} else if (first != NULL) {
			break;
		}
	}
	*count = n;
	return first;
}
