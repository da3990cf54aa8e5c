#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <libzscanner/scanner.h>

#include "dns/load.h"
#include "dns/name.h"
#include "util/buf.h"
#include "util/error.h"

struct loader {
	sigil_zone_t *zone;
	const sigil_load_opts_t *opts;
	sigil_load_error_t *err;
	int ret;
	/* records of the current owner */
	uint8_t owner[SIGIL_DNAME_MAXLEN];
	bool have_owner;
	uint32_t owner_line;
	sigil_rr_t *rrs;
	size_t rr_count;
	size_t rr_cap;
	sigil_buf_t rdata;   /* RDATA of the current owner, back to back */
	const char *dropped; /* input below this was released to the kernel */
};

#define RELEASE_STEP (32u << 20)

/* libzscanner maps the whole zone file.  Pages it has parsed are never read
 * again, so hand them back: a 1.5 GB zone file would otherwise stay
 * resident next to the zone store for the whole run. */
static void release_parsed(struct loader *l, zs_scanner_t *s)
{
	if (!s->input.mmaped || s->input.current == NULL) {
		return;
	}
	if (l->dropped == NULL || l->dropped < s->input.start) {
		l->dropped = s->input.start;
	}
	if ((size_t)(s->input.current - l->dropped) < RELEASE_STEP) {
		return;
	}
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = ((uintptr_t)l->dropped + page - 1) & ~(page - 1);
	/* keep the page being parsed and the one before it */
	uintptr_t to = ((uintptr_t)s->input.current & ~(page - 1)) - page;
	if (to > from) {
		madvise((void *)from, to - from, MADV_DONTNEED);
		l->dropped = (const char *)to;
	}
}

static void set_error(struct loader *l, int code, const char *file,
                      uint64_t line, const char *fmt, const char *arg)
{
	if (l->ret != SIGIL_EOK) {
		return;
	}
	l->ret = code;
	snprintf(l->err->file, sizeof(l->err->file), "%s", file ? file : "");
	l->err->line = line;
	snprintf(l->err->message, sizeof(l->err->message), fmt, arg);
}

static int flush_node(struct loader *l)
{
	if (l->rr_count == 0) {
		return SIGIL_EOK;
	}
	/* RDATA pointers are offsets into l->rdata until now: the buffer may
	 * have moved while it grew. */
	for (size_t i = 0; i < l->rr_count; i++) {
		l->rrs[i].rdata = l->rdata.data + (uintptr_t)l->rrs[i].rdata;
	}
	sigil_node_t *node = sigil_zone_add_node(l->zone, l->owner, l->rrs,
	                                         l->rr_count, l->owner_line);
	l->rr_count = 0;
	sigil_buf_reset(&l->rdata);
	if (node == NULL) {
		return SIGIL_ENOMEM;
	}
	if (l->opts->on_node != NULL) {
		l->opts->on_node(l->opts->ctx, node);
	}
	return SIGIL_EOK;
}

/* One parsed record: group it with the records of the same owner. */
static int take_record(struct loader *l, zs_scanner_t *s)
{
	const char *file = s->file.name;

	if (s->r_class != SIGIL_CLASS_IN) {
		set_error(l, SIGIL_ESYNTAX, file, s->line_counter,
		          "%sonly class IN is supported", "");
		return l->ret;
	}
	if (s->r_data_length > UINT16_MAX) {
		set_error(l, SIGIL_ESYNTAX, file, s->line_counter,
		          "%sRDATA longer than 65535 bytes", "");
		return l->ret;
	}
	if (!l->have_owner || !sigil_dname_equal(l->owner, s->r_owner)) {
		int ret = flush_node(l);
		if (ret != SIGIL_EOK) {
			set_error(l, ret, file, s->line_counter, "%s",
			          sigil_strerror(ret));
			return l->ret;
		}
		memcpy(l->owner, s->r_owner, s->r_owner_length);
		l->have_owner = true;
		l->owner_line = (uint32_t)s->line_counter;
		release_parsed(l, s);
	}
	if (s->r_type == SIGIL_T_SOA && sigil_zone_apex(l->zone) == NULL) {
		sigil_zone_set_apex(l->zone, s->r_owner);
	}
	if (l->rr_count == l->rr_cap) {
		size_t cap = l->rr_cap ? l->rr_cap * 2 : 64;
		sigil_rr_t *p = realloc(l->rrs, cap * sizeof(*p));
		if (p == NULL) {
			set_error(l, SIGIL_ENOMEM, file, s->line_counter, "%s",
			          sigil_strerror(SIGIL_ENOMEM));
			return l->ret;
		}
		l->rrs = p;
		l->rr_cap = cap;
	}
	size_t off = l->rdata.len;
	if (sigil_buf_append(&l->rdata, s->r_data, s->r_data_length) !=
	    SIGIL_EOK) {
		set_error(l, SIGIL_ENOMEM, file, s->line_counter, "%s",
		          sigil_strerror(SIGIL_ENOMEM));
		return l->ret;
	}
	l->rrs[l->rr_count++] = (sigil_rr_t){
		.rdata = (const uint8_t *)(uintptr_t)off,
		.ttl = s->r_ttl,
		.type = s->r_type,
		.rdlen = (uint16_t)s->r_data_length,
	};
	return SIGIL_EOK;
}

#define MAX_INCLUDE_DEPTH 8

/* Parses one file record by record (not zs_parse_all: the scanner's
 * position is only current between records, and $INCLUDE is ours to
 * follow, which bounds the include depth). */
static int parse_file(struct loader *l, const char *path, const char *origin,
                      uint32_t ttl, unsigned depth)
{
	zs_scanner_t *s = malloc(sizeof(*s));
	const char *saved_drop = l->dropped;

	if (s == NULL) {
		return SIGIL_ENOMEM;
	}
	l->dropped = NULL;
	if (zs_init(s, origin, SIGIL_CLASS_IN, ttl) != 0) {
		set_error(l, SIGIL_EINVAL, path, 0, "invalid origin '%s'",
		          origin);
		free(s);
		return l->ret;
	}
	errno = 0;
	if (zs_set_input_file(s, path) != 0) {
		int e = errno;
		set_error(l, SIGIL_EIO, path, 0, "%s",
		          e ? strerror(e) : zs_strerror(s->error.code));
		goto out;
	}
	if (s->input.mmaped && s->input.end > s->input.start) {
		/* The scanner maps the whole file: let the pages come in as
		 * they are parsed (release_parsed drops them behind). */
		uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
		uintptr_t from = (uintptr_t)s->input.start & ~(page - 1);
		size_t len = (size_t)((uintptr_t)s->input.end - from);
		madvise((void *)from, len, MADV_DONTNEED);
		madvise((void *)from, len, MADV_SEQUENTIAL);
	}
	while (l->ret == SIGIL_EOK) {
		if (zs_parse_record(s) != 0 && s->state != ZS_STATE_ERROR) {
			set_error(l, SIGIL_ESYNTAX,
			          s->file.name ? s->file.name : path,
			          s->line_counter, "%s",
			          zs_strerror(s->error.code));
			break;
		}
		if (s->state == ZS_STATE_DATA) {
			take_record(l, s);
		} else if (s->state == ZS_STATE_ERROR) {
			set_error(l, SIGIL_ESYNTAX,
			          s->file.name ? s->file.name : path,
			          s->line_counter, "%s",
			          zs_strerror(s->error.code));
		} else if (s->state == ZS_STATE_INCLUDE) {
			if (depth >= MAX_INCLUDE_DEPTH) {
				set_error(l, SIGIL_ELIMIT, s->file.name,
				          s->line_counter,
				          "$INCLUDE nested more than %s levels "
				          "deep",
				          "8");
				break;
			}
			/* buffer holds the origin for the included file */
			char inc_origin[sizeof(s->buffer)];
			snprintf(inc_origin, sizeof(inc_origin), "%s",
			         (const char *)s->buffer);
			parse_file(l, s->include_filename, inc_origin,
			           s->default_ttl, depth + 1);
		} else if (s->state == ZS_STATE_EOF ||
		           s->state == ZS_STATE_STOP) {
			break;
		}
	}
out:
	zs_deinit(s);
	free(s);
	l->dropped = saved_drop;
	return l->ret;
}

int sigil_zone_load(sigil_zone_t *zone, const char *path,
                    const sigil_load_opts_t *opts, sigil_load_error_t *err)
{
	struct loader l = {.zone = zone, .opts = opts, .err = err};
	uint8_t origin[SIGIL_DNAME_MAXLEN];
	int ret;

	memset(err, 0, sizeof(*err));
	if (opts->origin != NULL) {
		if (sigil_dname_from_str(origin, opts->origin,
		                         (const uint8_t *)"") == 0) {
			set_error(&l, SIGIL_EINVAL, path, 0,
			          "invalid origin '%s'", opts->origin);
			return l.ret;
		}
		sigil_zone_set_apex(zone, origin);
	}
	parse_file(&l, path, opts->origin ? opts->origin : ".",
	           opts->default_ttl ? opts->default_ttl : 3600, 0);
	if (l.ret == SIGIL_EOK) {
		ret = flush_node(&l);
		if (ret != SIGIL_EOK) {
			set_error(&l, ret, path, 0, "%s", sigil_strerror(ret));
		}
	}
	if (l.ret == SIGIL_EOK && sigil_zone_apex(zone) == NULL) {
		set_error(&l, SIGIL_ENOSOA, path, 0, "%s",
		          "no SOA record and no origin given");
	}
	free(l.rrs);
	sigil_buf_free(&l.rdata);
	return l.ret;
}
