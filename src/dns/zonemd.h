/* ZONEMD (RFC 8976): the message digest of a whole zone, SIMPLE scheme.
 *
 * The digest covers every RR of the zone in canonical order (RFC 4034 §6:
 * owner name, then type, then canonical RDATA), each RR in the canonical
 * wire form of RFC 4034 §6.2 (lowercase owner | type | class | TTL |
 * RDLENGTH | canonical RDATA), duplicates once.  Following RFC 8976
 * §3.3.1.1, every record of the zone is digested, glue and occluded data
 * (below a zone cut or a DNAME) included, but the apex ZONEMD RRset and
 * the RRSIGs covering it are left out, since they cannot cover
 * themselves.  Names outside the apex are not part of the zone and are
 * not digested (Appendix A.2 checks both).  A ZONEMD RRset below the
 * apex is ordinary data and is digested.
 *
 * How the signer uses it: it puts a placeholder at the apex (the RDATA of
 * sigil_zonemd_rdata() with digest NULL: zeros of the right length), signs
 * every RRset but the apex ZONEMD, then calls sigil_zonemd_update(), and
 * signs the ZONEMD RRset last.  Since the placeholder is left out of the
 * digest, it does not matter what it holds.
 */
#ifndef SIGIL_DNS_ZONEMD_H
#define SIGIL_DNS_ZONEMD_H

#include <stddef.h>
#include <stdint.h>

#include "dns/zone.h"

#define SIGIL_ZONEMD_SCHEME_SIMPLE 1
#define SIGIL_ZONEMD_HASH_SHA384 1
#define SIGIL_ZONEMD_HASH_SHA512 2

/* Longest digest (SHA-512) and longest RDATA: serial (4), scheme (1),
 * hash algorithm (1), digest. */
#define SIGIL_ZONEMD_DIGEST_MAXLEN 64
#define SIGIL_ZONEMD_RDATA_MAXLEN (6 + SIGIL_ZONEMD_DIGEST_MAXLEN)

/* Digest length of a ZONEMD hash algorithm: 48 (SHA-384), 64 (SHA-512),
 * 0 when unsupported. */
size_t sigil_zonemd_digest_len(uint8_t hash_alg);

/* SOA serial at the apex of zone.  SIGIL_EOK, SIGIL_ENOSOA (no apex or
 * no SOA there), SIGIL_EMALFORMED (SOA RDATA does not parse). */
int sigil_zonemd_serial(const sigil_zone_t *zone, uint32_t *serial);

/* The SIMPLE-scheme digest of zone with hash_alg (SHA-384 is the one the
 * signer publishes; SHA-512 is there for checking zones that carry it).
 * zone must be finished (sigil_zone_finish: nodes in canonical order,
 * each node's RRs sorted and without duplicates) and have its apex set;
 * no zone-cut flags are needed.  Writes sigil_zonemd_digest_len(hash_alg)
 * bytes to out.  SIGIL_EOK, SIGIL_EINVAL (no apex, a node not sorted or
 * out of order), SIGIL_EDIGEST (hash_alg unsupported), SIGIL_EMALFORMED
 * (an RDATA whose names do not parse), SIGIL_ENOMEM, SIGIL_ECRYPTO. */
int sigil_zonemd_digest(const sigil_zone_t *zone, uint8_t hash_alg,
                        uint8_t out[SIGIL_ZONEMD_DIGEST_MAXLEN]);

/* ZONEMD RDATA: serial, scheme SIMPLE, hash_alg, then digest (digest_len
 * bytes), or zeros of the algorithm's length when digest is NULL (the
 * placeholder).  Writes out and *len.  SIGIL_EOK or SIGIL_EDIGEST. */
int sigil_zonemd_rdata(uint32_t serial, uint8_t hash_alg, const uint8_t *digest,
                       uint8_t out[SIGIL_ZONEMD_RDATA_MAXLEN], size_t *len);

/* The apex ZONEMD RR with scheme SIMPLE and hash_alg, or NULL (RFC 8976
 * §2 allows one such RR per scheme and algorithm). */
sigil_rr_t *sigil_zonemd_find(const sigil_zone_t *zone, uint8_t hash_alg);

/* Computes the digest of zone and puts it in the apex ZONEMD placeholder
 * of hash_alg, with the serial of the apex SOA.  The store's RDATA is
 * read-only, so the new RDATA is written to buf, which the caller
 * provides and which must live as long as the zone (sigil_zone_alloc()
 * gives such memory, or the caller keeps its own), and the RR's rdata and
 * rdlen are pointed at it.  The RR keeps its place in the sorted RRset
 * when the placeholder already had the SOA's serial: RRs of one RRset
 * then differ in scheme or algorithm, which come before the digest.  Any
 * RRSIG over the apex ZONEMD RRset is stale afterwards.  SIGIL_EOK,
 * SIGIL_ENOTFOUND (no such placeholder), or the errors of
 * sigil_zonemd_serial() and sigil_zonemd_digest(). */
int sigil_zonemd_update(sigil_zone_t *zone, uint8_t hash_alg,
                        uint8_t buf[SIGIL_ZONEMD_RDATA_MAXLEN]);

#endif
