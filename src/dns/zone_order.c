/* The order of the zone store: RRs inside a node (type, then canonical
 * RDATA) and nodes by name (RFC 4034 §6.1), sigil_zone_finish and
 * sigil_zone_compact. */
#include <stdlib.h>
#include <string.h>

#include "dns/rdata.h"
#include "dns/zone.h"
#include "dns/zone_internal.h"
#include "util/error.h"

/* --- ordering of RRs inside a node ------------------------------------- */

/* Canonical form of one RDATA for comparison: in buf when it fits (the
 * usual case), else on the heap (*heap, freed by the caller), as worker
 * threads may have small stacks.  Malformed RDATA keeps its raw bytes:
 * the validator reports it. */
static const uint8_t *canon_for_cmp(uint16_t type, const sigil_rr_t *rr,
                                    uint8_t *buf, size_t cap, uint8_t **heap)
{
	uint8_t *out = buf;
	if (rr->rdlen > cap) {
		out = *heap = malloc(rr->rdlen);
		if (out == NULL) {
			return rr->rdata;
		}
	}
	if (sigil_rdata_canonicalize(type, out, rr->rdata, rr->rdlen) != 0) {
		return rr->rdata;
	}
	return out;
}

static int rdata_canon_cmp(uint16_t type, const sigil_rr_t *a,
                           const sigil_rr_t *b)
{
	if (!sigil_rdata_has_canon_names(type)) {
		return sigil_rdata_cmp(a->rdata, a->rdlen, b->rdata, b->rdlen);
	}
	uint8_t ba[512], bb[512];
	uint8_t *ha = NULL, *hb = NULL;
	const uint8_t *pa = canon_for_cmp(type, a, ba, sizeof(ba), &ha);
	const uint8_t *pb = canon_for_cmp(type, b, bb, sizeof(bb), &hb);
	int c = sigil_rdata_cmp(pa, a->rdlen, pb, b->rdlen);
	free(ha);
	free(hb);
	return c;
}

static int rr_cmp(const sigil_rr_t *a, const sigil_rr_t *b)
{
	if (a->type != b->type) {
		return a->type < b->type ? -1 : 1;
	}
	return rdata_canon_cmp(a->type, a, b);
}

static int rr_cmp_qsort(const void *a, const void *b)
{
	return rr_cmp(a, b);
}

static void rr_sort(sigil_rr_t *rrs, size_t n)
{
	/* Nodes are small and often nearly ordered: insertion sort; large
	 * RRsets (thousands of records at one name) go to qsort. */
	if (n > 64) {
		qsort(rrs, n, sizeof(*rrs), rr_cmp_qsort);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		sigil_rr_t x = rrs[i];
		size_t j = i;
		while (j > 0 && rr_cmp(&rrs[j - 1], &x) > 0) {
			rrs[j] = rrs[j - 1];
			j--;
		}
		rrs[j] = x;
	}
}

void sigil_node_sort(sigil_node_t *node)
{
	if (node->flags & SIGIL_NODE_SORTED) {
		return;
	}
	rr_sort(node->rrs, node->rr_count);
	/* A record listed twice is one record (RFC 2181 §5): keep the first. */
	uint32_t out = 0;
	for (uint32_t i = 0; i < node->rr_count; i++) {
		if (out > 0 && node->rrs[out - 1].rdlen == node->rrs[i].rdlen &&
		    rr_cmp(&node->rrs[out - 1], &node->rrs[i]) == 0) {
			continue;
		}
		node->rrs[out++] = node->rrs[i];
	}
	node->rr_count = out;
	node->flags |= SIGIL_NODE_SORTED;
}

/* --- ordering of nodes ------------------------------------------------- */

int zone_node_cmp(const sigil_node_t *a, const sigil_node_t *b)
{
	size_t min = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = memcmp(a->key, b->key, min);
	if (c != 0) {
		return c;
	}
	if (a->key_len != b->key_len) {
		return a->key_len < b->key_len ? -1 : 1;
	}
	return 0;
}

static int node_ptr_cmp(const void *pa, const void *pb)
{
	const sigil_node_t *a = *(const sigil_node_t *const *)pa;
	const sigil_node_t *b = *(const sigil_node_t *const *)pb;
	int c = zone_node_cmp(a, b);
	if (c == 0) {
		/* Keep input order among equal names: deterministic merge. */
		c = a->seq < b->seq ? -1 : (a->seq > b->seq);
	}
	return c;
}

/* Sorting nodes.  Most zone files are either a few sorted runs (signers
 * write NSEC3 owners after the other names) or in no order at all (a
 * registry's dump of its database).  The first are merged in
 * O(n log runs); the others are sorted by the 8 bytes of their keys that
 * follow the part all keys share, with an in-place MSD radix sort (no
 * comparisons, no pointer chasing), and only names whose 8 bytes are
 * equal are then compared in full.  Either way the order is node_ptr_cmp's, and equal
 * names keep their order of appearance. */

typedef struct {
	uint64_t pfx;
	sigil_node_t *node;
} keyed_t;

static int keyed_cmp(const void *pa, const void *pb)
{
	const keyed_t *a = pa, *b = pb;

	return node_ptr_cmp(&a->node, &b->node);
}

/* 8 key bytes from off, big endian, zero padded: a shorter key sorts
 * first, as in node_cmp. */
static uint64_t key_prefix(const sigil_node_t *n, size_t off)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++) {
		size_t at = off + i;
		v = (v << 8) | (at < n->key_len ? n->key[at] : 0);
	}
	return v;
}

#define PFX_BYTE(x, shift) ((unsigned)((x) >> (shift)) & 0xffu)

/* In-place MSD radix sort ("American flag sort") of k on the prefix bytes
 * from shift down: no second array, so the temporary memory is 16 bytes
 * a name.  Not stable; the caller orders equal prefixes in full. */
static void flag_sort(keyed_t *k, size_t n, int shift)
{
	size_t count[256] = {0}, next[256];

	if (n <= 24 || shift < 0) {
		/* insertion sort on the prefix */
		for (size_t i = 1; i < n; i++) {
			keyed_t x = k[i];
			size_t j = i;
			while (j > 0 && k[j - 1].pfx > x.pfx) {
				k[j] = k[j - 1];
				j--;
			}
			k[j] = x;
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		count[PFX_BYTE(k[i].pfx, shift)]++;
	}
	if (count[PFX_BYTE(k[0].pfx, shift)] == n) {
		flag_sort(k, n, shift - 8); /* all share this byte */
		return;
	}
	for (size_t b = 0, sum = 0; b < 256; b++) {
		next[b] = sum;
		sum += count[b];
	}
	/* every element to its bucket, following cycles */
	for (size_t b = 0, end = 0; b < 256; b++) {
		end += count[b];
		while (next[b] < end) {
			keyed_t x = k[next[b]];
			unsigned d = PFX_BYTE(x.pfx, shift);
			while (d != b) {
				keyed_t y = k[next[d]];
				k[next[d]++] = x;
				x = y;
				d = PFX_BYTE(x.pfx, shift);
			}
			k[next[b]++] = x;
		}
	}
	for (size_t b = 0, at = 0; b < 256; at += count[b], b++) {
		if (count[b] > 1) {
			flag_sort(k + at, count[b], shift - 8);
		}
	}
}

/* Sorts a by node_ptr_cmp; *dups is set when two nodes have the same
 * name (only names with equal prefixes can), and then *same (n bytes,
 * the caller frees it) says which: same[i] when a[i]'s name is a[i-1]'s. */
static int nodes_radix_sort(sigil_node_t **a, size_t n, bool *dups,
                            uint8_t **same)
{
	keyed_t *k = malloc(n * sizeof(*k));
	size_t common = n > 0 ? a[0]->key_len : 0;
	int ret = SIGIL_EOK;

	*dups = false;
	*same = NULL;
	if (n < 2) {
		goto out;
	}
	if (k == NULL) {
		ret = SIGIL_ENOMEM;
		goto out;
	}
	/* The bytes every key shares (the apex, in a zone) tell nothing. */
	for (size_t i = 1; i < n && common > 0; i++) {
		size_t m = a[i]->key_len < common ? a[i]->key_len : common;
		size_t j = 0;
		while (j < m && a[i]->key[j] == a[0]->key[j]) {
			j++;
		}
		common = j;
	}
	for (size_t i = 0; i < n; i++) {
		k[i] = (keyed_t){key_prefix(a[i], common), a[i]};
	}
	flag_sort(k, n, 56);
	/* Names with equal prefixes are ordered in full, in k: a[] is only
	 * written once nothing can fail any more. */
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && k[j].pfx == k[i].pfx) {
			j++;
		}
		if (j - i > 1) {
			/* Keys longer than the prefix decide here, and the
			 * order of appearance (seq) among equal names. */
			qsort(k + i, j - i, sizeof(*k), keyed_cmp);
			for (size_t m = i + 1; m < j && !*dups; m++) {
				*dups = zone_node_cmp(k[m - 1].node,
				                      k[m].node) == 0;
			}
		}
		i = j;
	}
	if (*dups) {
		*same = calloc(n, 1);
		if (*same == NULL) {
			*dups = false;
			ret = SIGIL_ENOMEM;
			goto out;
		}
		for (size_t m = 1; m < n; m++) {
			(*same)[m] =
				k[m - 1].pfx == k[m].pfx &&
				zone_node_cmp(k[m - 1].node, k[m].node) == 0;
		}
	}
	for (size_t m = 0; m < n; m++) {
		a[m] = k[m].node;
	}
out:
	free(k);
	return ret;
}

/* Sorts a by node_ptr_cmp; *dups and *same as for nodes_radix_sort, but
 * *same may be NULL with *dups set: any two neighbours may be equal. */
static int nodes_sort(sigil_node_t **a, size_t n, bool *dups, uint8_t **same)
{
	size_t *runs = NULL, nruns = 0, cap = 0;
	sigil_node_t **tmp = NULL;
	int ret = SIGIL_EOK;

	*dups = true;
	*same = NULL;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && node_ptr_cmp(&a[j - 1], &a[j]) <= 0) {
			j++;
		}
		if (nruns + 1 >= cap) {
			cap = cap ? cap * 2 : 64;
			if (cap > 64) {
				/* Too fragmented for merging to pay off. */
				free(runs);
				return nodes_radix_sort(a, n, dups, same);
			}
			size_t *p = realloc(runs, cap * sizeof(*p));
			if (p == NULL) {
				free(runs);
				return SIGIL_ENOMEM;
			}
			runs = p;
		}
		runs[nruns++] = i;
		i = j;
	}
	tmp = malloc(n * sizeof(*tmp));
	if (tmp == NULL && nruns > 1) {
		ret = SIGIL_ENOMEM;
		goto out;
	}
	runs[nruns] = n;
	while (nruns > 1) {
		size_t out = 0;
		for (size_t r = 0; r < nruns; r += 2) {
			size_t lo = runs[r], mid = runs[r + 1];
			size_t hi = r + 2 <= nruns ? runs[r + 2] : n;
			if (r + 1 >= nruns) {
				mid = hi = n;
			}
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi) {
				tmp[k++] = node_ptr_cmp(&a[j], &a[i]) < 0 ?
				                   a[j++] :
				                   a[i++];
			}
			while (i < mid) {
				tmp[k++] = a[i++];
			}
			while (j < hi) {
				tmp[k++] = a[j++];
			}
			memcpy(a + lo, tmp + lo, (hi - lo) * sizeof(*a));
			runs[out++] = lo;
		}
		runs[out] = n;
		nruns = out;
	}
out:
	free(tmp);
	free(runs);
	return ret;
}

/* Nodes added to a finished zone (the NSEC3 chain, say) are a sorted run
 * after a sorted run.  Each added node finds its place by binary search,
 * and one backward pass moves the nodes: O(n + m log n) instead of a
 * merge comparing every name.  *dups is set when an added name was there
 * already. */
static int merge_tail(sigil_node_t **a, size_t head, size_t n, bool *dups)
{
	size_t m = n - head;
	size_t *pos = malloc(m * sizeof(*pos));
	sigil_node_t **tail = malloc(m * sizeof(*tail));

	if (pos == NULL || tail == NULL) {
		free(pos);
		free(tail);
		return SIGIL_ENOMEM;
	}
	/* the moves below overwrite the tail's slots */
	memcpy(tail, a + head, m * sizeof(*tail));
	*dups = false;
	for (size_t j = 0; j < m; j++) {
		/* after every equal name: those came first */
		size_t lo = j > 0 ? pos[j - 1] : 0, hi = head;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (zone_node_cmp(a[mid], a[head + j]) <= 0) {
				lo = mid + 1;
			} else {
				hi = mid;
			}
		}
		pos[j] = lo;
		if (lo > 0 && zone_node_cmp(a[lo - 1], a[head + j]) == 0) {
			*dups = true;
		}
	}
	/* Backwards: a[head + j] ends at pos[j] + j, and the head nodes
	 * from pos[j] up to the next added node's place move up by j + 1. */
	size_t end = head;
	for (size_t j = m; j-- > 0;) {
		memmove(a + pos[j] + j + 1, a + pos[j],
		        (end - pos[j]) * sizeof(*a));
		a[pos[j] + j] = tail[j];
		end = pos[j];
	}
	free(pos);
	free(tail);
	return SIGIL_EOK;
}

/* Puts every node's RRs in order; the zone's RR count follows, as a
 * record listed twice is kept once. */
static void nodes_sort_all(sigil_zone_t *zone)
{
	size_t total = 0;

	for (size_t i = 0; i < zone->node_count; i++) {
		sigil_node_sort(zone->nodes[i]);
		total += zone->nodes[i]->rr_count;
	}
	zone->rr_count = total;
}

int sigil_zone_finish(sigil_zone_t *zone)
{
	size_t n = zone->node_count;
	size_t head = n;
	for (size_t i = 1; i < n; i++) {
		if (zone_node_cmp(zone->nodes[i - 1], zone->nodes[i]) >= 0) {
			head = i;
			break;
		}
	}
	if (head == n) {
		nodes_sort_all(zone);
		return SIGIL_EOK;
	}
	size_t tail_sorted = head + 1;
	while (tail_sorted < n && zone_node_cmp(zone->nodes[tail_sorted - 1],
	                                        zone->nodes[tail_sorted]) < 0) {
		tail_sorted++;
	}
	bool dups;
	uint8_t *same = NULL;
	/* a short sorted tail (nodes added later) is merged into place */
	bool tail = tail_sorted == n && n - head <= n / 4;
	int ret = tail ? merge_tail(zone->nodes, head, n, &dups) :
	                 nodes_sort(zone->nodes, n, &dups, &same);
	if (ret != SIGIL_EOK) {
		free(same);
		return ret;
	}
	if (!dups) {
		nodes_sort_all(zone);
		return SIGIL_EOK;
	}

	/* Merge runs of equal names into their first node. */
	size_t out = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		size_t total = zone->nodes[i]->rr_count;
		while (j < n &&
		       (same != NULL ? same[j] != 0 :
		                       zone_node_cmp(zone->nodes[i],
		                                     zone->nodes[j]) == 0)) {
			total += zone->nodes[j]->rr_count;
			j++;
		}
		sigil_node_t *first = zone->nodes[i];
		if (j > i + 1) {
			sigil_rr_t *rrs =
				zone_chunk_take(zone, &zone->rr_chunks, total,
			                        sizeof(sigil_rr_t), RR_CHUNK);
			if (rrs == NULL) {
				free(same);
				return SIGIL_ENOMEM;
			}
			size_t k = 0;
			for (size_t m = i; m < j; m++) {
				memcpy(rrs + k, zone->nodes[m]->rrs,
				       zone->nodes[m]->rr_count * sizeof(*rrs));
				k += zone->nodes[m]->rr_count;
			}
			for (size_t m = 0; m < total; m++) {
				rrs[m].status = 0;
				rrs[m].aux = 0;
				rrs[m].aux2 = 0;
			}
			first->rrs = rrs;
			first->rr_count = (uint32_t)total;
			first->flags =
				(uint16_t)((first->flags & ~SIGIL_NODE_SORTED) |
			                   SIGIL_NODE_MERGED);
		}
		zone->nodes[out++] = first;
		i = j;
	}
	zone->node_count = out;
	free(same);
	nodes_sort_all(zone);
	return SIGIL_EOK;
}

int sigil_zone_compact(sigil_zone_t *zone)
{
	size_t n = zone->node_count, nrr = 0;
	struct chunk *old_nodes = zone->node_chunks, *old_rrs = zone->rr_chunks;
	size_t old_bytes = zone->chunk_bytes;

	if (n == 0) {
		return SIGIL_EOK;
	}
	for (size_t i = 0; i < n; i++) {
		nrr += zone->nodes[i]->rr_count;
	}
	zone->node_chunks = NULL;
	zone->rr_chunks = NULL;
	zone->chunk_bytes = 0;
	sigil_node_t *dst =
		zone_chunk_take(zone, &zone->node_chunks, n, sizeof(*dst), n);
	sigil_rr_t *rdst =
		zone_chunk_take(zone, &zone->rr_chunks, nrr ? nrr : 1,
	                        sizeof(*rdst), nrr ? nrr : 1);
	if (dst == NULL || rdst == NULL) {
		zone_chunks_free(zone->node_chunks);
		zone_chunks_free(zone->rr_chunks);
		zone->node_chunks = old_nodes;
		zone->rr_chunks = old_rrs;
		zone->chunk_bytes = old_bytes;
		return SIGIL_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		sigil_node_t *src = zone->nodes[i];
		dst[i] = *src;
		memcpy(rdst, src->rrs, src->rr_count * sizeof(*rdst));
		dst[i].rrs = rdst;
		rdst += src->rr_count;
		if (zone->apex_node == src) {
			zone->apex_node = &dst[i];
		}
		zone->nodes[i] = &dst[i];
	}
	zone_chunks_free(old_nodes);
	zone_chunks_free(old_rrs);
	return SIGIL_EOK;
}
