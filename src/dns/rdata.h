/* RDATA helpers that depend on the RR type: canonical form (RFC 4034 §6.2
 * as corrected by RFC 6840 §5.1), canonical RR ordering inside an RRset,
 * and type names.  Layout knowledge comes from libknot's RR descriptors. */
#ifndef SIGIL_DNS_RDATA_H
#define SIGIL_DNS_RDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGIL_RDATA_MAXLEN 65535

/* True when the type's RDATA holds domain names that must be lowercased
 * for canonical form: NS, MD, MF, CNAME, SOA, MB, MG, MR, PTR, MINFO, MX,
 * RP, AFSDB, RT, SIG, PX, NXT, NAPTR, KX, SRV, DNAME, A6, RRSIG (RFC 4034
 * §6.2 item 3; HINFO has no names; NSEC is excluded by RFC 6840 §5.1).
 * Unknown types (RFC 3597) are never changed. */
bool sigil_rdata_has_canon_names(uint16_t type);

/* Writes the canonical form of rdata to out (rdlen bytes: canonical form
 * never changes the length).  out may equal rdata.  Returns SIGIL_EOK or
 * SIGIL_EMALFORMED when an embedded name does not parse. */
int sigil_rdata_canonicalize(uint16_t type, uint8_t *out, const uint8_t *rdata,
                             size_t rdlen);

/* Canonical RR order inside an RRset (RFC 4034 §6.3): compares the
 * canonical forms as left-justified unsigned octet sequences, a shorter
 * one first when it is a prefix of the other. Inputs must already be in
 * canonical form. */
int sigil_rdata_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
                    size_t blen);

/* Mnemonic of a type ("A", "NSEC3", or "TYPE65534" for unknown ones).
 * out must hold 16 bytes; returns out. */
const char *sigil_rrtype_name(uint16_t type, char out[16]);

#endif
