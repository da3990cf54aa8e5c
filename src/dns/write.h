/* Zone file output: the zone store (dns/zone.h) as RFC 1035 master file
 * text that libzscanner (dns/load.h), BIND and Knot read back.
 *
 * Format: one record per line, "owner TTL IN TYPE RDATA", every name
 * absolute, no directives ($ORIGIN, $TTL), no comments, no line wrapping.
 * RDATA is rendered by libknot in each type's presentation format, RRSIG
 * times as YYYYMMDDHHmmSS; types libknot does not know, and any RDATA whose
 * presentation form would not read back as the same bytes (malformed or
 * non-canonical data), are written in the RFC 3597 generic form
 * "\# length hex".  Reading the output gives exactly the stored records,
 * except that libzscanner refuses some RDATA that is malformed for its
 * type in any form (an empty TXT, for one): such records are still written
 * as they are, generic, and the reader reports them.
 *
 * Order: nodes in store order (canonical after sigil_zone_finish), names
 * outside the zone (SIGIL_NODE_OUTSIDE) skipped.  Within a node: the SOA
 * RRset first (operators look for it on the first line), then the RRsets
 * by type number, each followed by the RRSIGs covering it; RRSIGs whose
 * RRset is absent stand where it would be.  Records keep the store's
 * canonical order inside an RRset.  The same zone always gives the same
 * bytes, whatever the time or the machine, so outputs can be diffed.
 *
 * Speed: no allocation per record.  The writer collects lines in its own
 * 1 MiB buffer and hands them to stdio in large blocks, so the stream's
 * buffering (setvbuf) makes no difference.
 */
#ifndef SIGIL_DNS_WRITE_H
#define SIGIL_DNS_WRITE_H

#include <stdint.h>
#include <stdio.h>

#include "dns/zone.h"
#include "util/file.h"

typedef struct {
	/* Name of the output in error messages (its path); NULL: "output". */
	const char *name;
	/* sigil_zone_write: threads formatting blocks of nodes at once (the
	 * output is the same); 0 or 1: the calling thread alone. */
	unsigned threads;
} sigil_write_opts_t;

typedef struct sigil_writer sigil_writer_t;

/* A writer to out, which stays the caller's (never closed).  opts may be
 * NULL; opts->name is copied.  NULL when out of memory. */
sigil_writer_t *sigil_writer_new(FILE *out, const sigil_write_opts_t *opts);

/* Frees the writer.  Text not yet flushed is discarded: call
 * sigil_writer_flush() first to keep it. */
void sigil_writer_free(sigil_writer_t *w);

/* Writes the records of one node, which must be sorted (sigil_node_sort,
 * done by sigil_zone_finish), whatever its flags.  Returns SIGIL_EOK,
 * SIGIL_EINVAL (node not sorted) or SIGIL_EIO (err names the output and
 * the system's reason). */
int sigil_writer_node(sigil_writer_t *w, const sigil_node_t *node,
                      sigil_file_error_t *err);

/* Hands all buffered text to the stream and fflushes it.  SIGIL_EOK or
 * SIGIL_EIO. */
int sigil_writer_flush(sigil_writer_t *w, sigil_file_error_t *err);

/* Records written so far (buffered ones included). */
uint64_t sigil_writer_records(const sigil_writer_t *w);

/* Writes the whole zone (after sigil_zone_finish and sigil_zone_classify,
 * which tells which names are outside it) to out and fflushes out; out
 * stays open.  Returns SIGIL_EOK, SIGIL_EINVAL, SIGIL_EIO or SIGIL_ENOMEM;
 * err says why.  opts may be NULL. */
int sigil_zone_write(const sigil_zone_t *zone, FILE *out,
                     const sigil_write_opts_t *opts, sigil_file_error_t *err);

/* sigil_zone_write() to path, atomically (util/file.h): path is replaced
 * by the complete, fsync'd file, or left as it was on error.  mode 0:
 * 0644.  opts may be NULL; its name is path whatever opts says. */
int sigil_zone_write_file(const sigil_zone_t *zone, const char *path,
                          mode_t mode, const sigil_write_opts_t *opts,
                          sigil_file_error_t *err);

#endif
