#include <errno.h>
#include <stdio.h>
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
	sigil_buf_t rdata; /* RDATA of the current owner, back to back */
};

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

static void on_record(zs_scanner_t *s)
{
	struct loader *l = s->process.data;
	const char *file = s->file.name;

	if (l->ret != SIGIL_EOK) {
		s->state = ZS_STATE_STOP;
		return;
	}
	if (s->r_class != SIGIL_CLASS_IN) {
		set_error(l, SIGIL_ESYNTAX, file, s->line_counter,
		          "%sonly class IN is supported", "");
		s->state = ZS_STATE_STOP;
		return;
	}
	if (s->r_data_length > UINT16_MAX) {
		set_error(l, SIGIL_ESYNTAX, file, s->line_counter,
		          "%sRDATA longer than 65535 bytes", "");
		s->state = ZS_STATE_STOP;
		return;
	}
	if (!l->have_owner || !sigil_dname_equal(l->owner, s->r_owner)) {
		int ret = flush_node(l);
		if (ret != SIGIL_EOK) {
			set_error(l, ret, file, s->line_counter, "%s", sigil_strerror(ret));
			s->state = ZS_STATE_STOP;
			return;
		}
		memcpy(l->owner, s->r_owner, s->r_owner_length);
		l->have_owner = true;
		l->owner_line = (uint32_t)s->line_counter;
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
			s->state = ZS_STATE_STOP;
			return;
		}
		l->rrs = p;
		l->rr_cap = cap;
	}
	size_t off = l->rdata.len;
	if (sigil_buf_append(&l->rdata, s->r_data, s->r_data_length) != SIGIL_EOK) {
		set_error(l, SIGIL_ENOMEM, file, s->line_counter, "%s",
		          sigil_strerror(SIGIL_ENOMEM));
		s->state = ZS_STATE_STOP;
		return;
	}
	l->rrs[l->rr_count++] = (sigil_rr_t){
		.rdata = (const uint8_t *)(uintptr_t)off,
		.ttl = s->r_ttl,
		.type = s->r_type,
		.rdlen = (uint16_t)s->r_data_length,
	};
}

static void on_error(zs_scanner_t *s)
{
	struct loader *l = s->process.data;
	set_error(l, SIGIL_ESYNTAX, s->file.name, s->line_counter, "%s",
	          zs_strerror(s->error.code));
	s->state = ZS_STATE_STOP;
}

int sigil_zone_load(sigil_zone_t *zone, const char *path,
                    const sigil_load_opts_t *opts, sigil_load_error_t *err)
{
	struct loader l = {.zone = zone, .opts = opts, .err = err};
	zs_scanner_t *s = malloc(sizeof(*s));
	uint8_t origin[SIGIL_DNAME_MAXLEN];
	int ret;

	memset(err, 0, sizeof(*err));
	if (s == NULL) {
		return SIGIL_ENOMEM;
	}
	if (opts->origin != NULL) {
		if (sigil_dname_from_str(origin, opts->origin, (const uint8_t *)"") == 0) {
			set_error(&l, SIGIL_EINVAL, path, 0, "invalid origin '%s'",
			          opts->origin);
			ret = l.ret;
			free(s);
			return ret;
		}
		sigil_zone_set_apex(zone, origin);
	}
	if (zs_init(s, opts->origin ? opts->origin : ".", SIGIL_CLASS_IN,
	            opts->default_ttl ? opts->default_ttl : 3600) != 0) {
		free(s);
		return SIGIL_ENOMEM;
	}
	if (zs_set_input_file(s, path) != 0) {
		int e = errno;
		set_error(&l, SIGIL_EIO, path, 0, "%s",
		          e ? strerror(e) : zs_strerror(s->error.code));
		goto out;
	}
	zs_set_processing(s, on_record, on_error, &l);
	if (zs_parse_all(s) != 0 && l.ret == SIGIL_EOK) {
		set_error(&l, SIGIL_ESYNTAX, s->file.name ? s->file.name : path,
		          s->line_counter, "%s", zs_strerror(s->error.code));
	}
	if (l.ret == SIGIL_EOK) {
		ret = flush_node(&l);
		if (ret != SIGIL_EOK) {
			set_error(&l, ret, path, s->line_counter, "%s",
			          sigil_strerror(ret));
		}
	}
	if (l.ret == SIGIL_EOK && sigil_zone_apex(zone) == NULL) {
		set_error(&l, SIGIL_ENOSOA, path, 0, "%s",
		          "no SOA record and no origin given");
	}
out:
	ret = l.ret;
	zs_deinit(s);
	free(s);
	free(l.rrs);
	sigil_buf_free(&l.rdata);
	return ret;
}
