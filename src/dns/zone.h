/* In-memory zone store, built for tens of millions of names.
 *
 * A zone is a set of nodes (owner names) in canonical order (RFC 4034 §6.1);
 * each node holds its RRs sorted by type, then by canonical RDATA, so an
 * RRset is a run of equal types and the RRSIGs of a node are one run
 * ordered by the type they cover.  Names, sort keys and RDATA live in one
 * arena owned by the zone; nodes and RRs live in chunks that never move,
 * so other threads may work on finished nodes while loading goes on.
 *
 * Loading (dns/load.h) appends nodes; sigil_zone_finish() orders them and
 * merges names that appeared in several places of the input.
 */
#ifndef SIGIL_DNS_ZONE_H
#define SIGIL_DNS_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGIL_CLASS_IN 1

enum sigil_rrtype {
	SIGIL_T_A = 1,
	SIGIL_T_NS = 2,
	SIGIL_T_CNAME = 5,
	SIGIL_T_SOA = 6,
	SIGIL_T_MX = 15,
	SIGIL_T_TXT = 16,
	SIGIL_T_AAAA = 28,
	SIGIL_T_DNAME = 39,
	SIGIL_T_DS = 43,
	SIGIL_T_RRSIG = 46,
	SIGIL_T_NSEC = 47,
	SIGIL_T_DNSKEY = 48,
	SIGIL_T_NSEC3 = 50,
	SIGIL_T_NSEC3PARAM = 51,
	SIGIL_T_CDS = 59,
	SIGIL_T_CDNSKEY = 60,
	SIGIL_T_ZONEMD = 63,
};

/* One resource record.  status is scratch space for the validator (the
 * verdict on an RRSIG); the store sets it to 0 and otherwise ignores it. */
typedef struct {
	const uint8_t *rdata;
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;
	uint8_t status;
	uint8_t aux2; /* validator scratch: flags */
	uint16_t
		aux; /* validator scratch: index + 1 of the key that verified */
} sigil_rr_t;

/* Node flags.  The zone-cut flags are set by sigil_zone_classify(). */
enum {
	SIGIL_NODE_SORTED = 1 << 0, /* RRs are in canonical order */
	SIGIL_NODE_MERGED = 1 << 1, /* name appeared in several places */
	SIGIL_NODE_APEX = 1 << 2,
	SIGIL_NODE_DELEG = 1 << 3, /* NS below the apex: a zone cut */
	SIGIL_NODE_NONAUTH =
		1 << 4, /* below a zone cut or a DNAME: glue or occluded */
	SIGIL_NODE_OUTSIDE = 1 << 5, /* not at or below the apex */
	SIGIL_NODE_DS = 1 << 6,      /* delegation with a DS RRset */
	SIGIL_NODE_HASHED =
		1 << 7, /* holds NSEC3 records only (a hashed owner) */
};

typedef struct {
	const uint8_t *owner; /* wire form, case as first seen in the input */
	const uint8_t *key;   /* sort key, see dns/name.h */
	sigil_rr_t *rrs;
	uint32_t rr_count;
	uint16_t key_len;
	uint16_t flags;
	uint32_t line; /* input line of the node's first record */
	uint32_t seq;  /* order of appearance in the input */
	/* Scratch for the zone's user (the validator keeps the NSEC3 hash of
	 * the owner here); NULL after loading, never freed by the store. */
	const uint8_t *hash;
} sigil_node_t;

typedef struct sigil_zone sigil_zone_t;

sigil_zone_t *sigil_zone_new(void);
void sigil_zone_free(sigil_zone_t *zone);

/* Apex name (wire form), NULL until known.  Owned by the zone. */
const uint8_t *sigil_zone_apex(const sigil_zone_t *zone);
/* Sets the apex (copied); SIGIL_EINVAL when it was already set differently. */
int sigil_zone_set_apex(sigil_zone_t *zone, const uint8_t *apex);

/* Appends a node with a copy of owner and rrs (RDATA copied too).  The
 * returned node stays at its address until sigil_zone_compact().  NULL when out
 * of memory. */
sigil_node_t *sigil_zone_add_node(sigil_zone_t *zone, const uint8_t *owner,
                                  const sigil_rr_t *rrs, size_t count,
                                  uint32_t line);

/* Puts a node's RRs in canonical order (type, then canonical RDATA).
 * Safe to call from any thread on a node no other thread is using. */
void sigil_node_sort(sigil_node_t *node);

/* Moves every node and its RRs to new memory, in the zone's order, so
 * that passes over the zone read memory in sequence (loaded in another
 * order, every node is a cache miss).  The nodes' addresses change: the
 * caller must hold no node or RR pointer (sigil_zone_node gives the new
 * ones); names and RDATA stay where they are.  Memory for the nodes and
 * RRs is briefly held twice.  SIGIL_EOK, or SIGIL_ENOMEM with the zone
 * unchanged. */
int sigil_zone_compact(sigil_zone_t *zone);

/* Orders all nodes canonically and merges nodes with the same name (their
 * RRs are combined, sorted, statuses reset, SIGIL_NODE_MERGED set).  A
 * record listed twice is kept once (RFC 2181 §5), and the zone's RR count
 * says so.  Returns SIGIL_EOK or SIGIL_ENOMEM. */
int sigil_zone_finish(sigil_zone_t *zone);

/* Sets the zone-cut flags of every node (after sigil_zone_finish): apex,
 * delegations, glue and occluded data (below an NS cut or a DNAME), names
 * outside the apex. */
void sigil_zone_classify(sigil_zone_t *zone);

/* Removes every RR for which keep() returns false (node by node, keeping
 * the order of the rest) and every node left without RRs, except the
 * apex node.  For the signer, which drops a zone's old DNSSEC records.
 * Node indexes change; the nodes that stay keep their addresses. */
void sigil_zone_filter(sigil_zone_t *zone,
                       bool (*keep)(const sigil_node_t *node,
                                    const sigil_rr_t *rr, void *ctx),
                       void *ctx);

/* Adds count RRs to node, which keeps its place in the zone's order (no
 * sigil_zone_finish needed afterwards), and sorts the node's RRs again.
 * The RDATA is referenced, not copied: it must live as long as the zone
 * (the signer keeps its signatures in arenas freed after the zone).
 * SIGIL_EOK or SIGIL_ENOMEM (node unchanged). */
int sigil_zone_node_append(sigil_zone_t *zone, sigil_node_t *node,
                           const sigil_rr_t *rrs, size_t count);

/* len bytes that live as long as the zone, for RDATA a user of the store
 * puts in place of a record's (rr->rdata = ...): a new SOA serial, a
 * ZONEMD digest.  NULL when out of memory. */
uint8_t *sigil_zone_alloc(sigil_zone_t *zone, size_t len);

/* Nodes in canonical order (after sigil_zone_finish). */
size_t sigil_zone_node_count(const sigil_zone_t *zone);
sigil_node_t *sigil_zone_node(const sigil_zone_t *zone, size_t i);
/* Index of the node with that name, or -1. */
long sigil_zone_find(const sigil_zone_t *zone, const uint8_t *name);
/* Node of the apex, NULL when absent. */
sigil_node_t *sigil_zone_apex_node(const sigil_zone_t *zone);

size_t sigil_zone_rr_count(const sigil_zone_t *zone);
/* Bytes held by the store. */
size_t sigil_zone_memory(const sigil_zone_t *zone);

/* First RR of type in node and the length of that RRset (0: none). */
sigil_rr_t *sigil_node_rrset(const sigil_node_t *node, uint16_t type,
                             size_t *count);

/* RRSIG helpers: type covered of an RRSIG RR (0 when RDATA is short). */
static inline uint16_t sigil_rrsig_covered(const sigil_rr_t *rr)
{
	return rr->rdlen >= 2 ? (uint16_t)(rr->rdata[0] << 8 | rr->rdata[1]) :
	                        0;
}

#endif
