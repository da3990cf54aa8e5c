/* Zone file loading through libzscanner: RFC 1035 master files with
 * $ORIGIN, $TTL, $INCLUDE and RFC 3597 generic types.
 *
 * Records are grouped into nodes as they arrive: consecutive records with
 * the same owner form one node, handed to on_node (in the loading thread)
 * as soon as the owner changes, so a caller can start working on it while
 * the rest of the file is parsed.  A name that appears again later gets
 * another node; sigil_zone_finish() merges them.
 */
#ifndef SIGIL_DNS_LOAD_H
#define SIGIL_DNS_LOAD_H

#include <stdint.h>

#include "dns/zone.h"

typedef struct {
	/* Zone apex in presentation form; NULL: the owner of the first SOA
	 * (then relative names before a $ORIGIN are relative to the root). */
	const char *origin;
	/* TTL for records without one before any $TTL (default 3600). */
	uint32_t default_ttl;
	/* Called for every finished node, may be NULL. */
	void (*on_node)(void *ctx, sigil_node_t *node);
	void *ctx;
} sigil_load_opts_t;

/* Where and why loading failed. */
typedef struct {
	char file[512];
	uint64_t line;
	char message[256];
} sigil_load_error_t;

/* Loads path into zone (which must be new).  Returns SIGIL_EOK,
 * SIGIL_EIO (file unreadable), SIGIL_ESYNTAX (err says file, line and what),
 * SIGIL_ENOSOA (no SOA and no origin), SIGIL_ENOMEM.  On error the zone
 * holds what was read so far and must only be freed. */
int sigil_zone_load(sigil_zone_t *zone, const char *path,
                    const sigil_load_opts_t *opts, sigil_load_error_t *err);

#endif
