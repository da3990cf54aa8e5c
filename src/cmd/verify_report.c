#include <inttypes.h>
#include <time.h>

#include "cmd/json.h"
#include "cmd/verify_report.h"
#include "crypto/alg.h"
#include "crypto/key.h"
#include "dns/rdata.h"

static void fmt_time(char *out, size_t cap, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
		snprintf(out, cap, "%" PRId64, t);
	}
}

static void fmt_duration(char *out, size_t cap, uint32_t s)
{
	if (s % 86400 == 0 && s > 0) {
		snprintf(out, cap, "%ud", s / 86400);
	} else if (s % 3600 == 0 && s > 0) {
		snprintf(out, cap, "%uh", s / 3600);
	} else {
		snprintf(out, cap, "%us", s);
	}
}

static const char *role(uint16_t flags)
{
	if (!(flags & SIGIL_DNSKEY_FLAG_ZONE)) {
		return "non-zone key";
	}
	if (flags & SIGIL_DNSKEY_FLAG_REVOKE) {
		return "revoked";
	}
	return (flags & SIGIL_DNSKEY_FLAG_SEP) ? "KSK (SEP)" : "ZSK";
}

static const char *alg_name(uint8_t alg)
{
	const char *n = sigil_alg_name(alg);
	return n ? n : "unknown";
}

static void salt_hex(char *out, const sigil_verify_report_t *r)
{
	static const char hex[] = "0123456789abcdef";
	if (r->nsec3_salt_len == 0) {
		out[0] = '-';
		out[1] = '\0';
		return;
	}
	for (unsigned i = 0; i < r->nsec3_salt_len; i++) {
		out[2 * i] = hex[r->nsec3_salt[i] >> 4];
		out[2 * i + 1] = hex[r->nsec3_salt[i] & 15];
	}
	out[2 * r->nsec3_salt_len] = '\0';
}

void verify_report_text(FILE *out, const sigil_verify_report_t *r,
                        const char *path, bool quiet)
{
	char t[64], d[32], salt[520];
	if (!quiet) {
		fprintf(out, "zone %s (%s)\n", r->zone, path);
		fmt_time(t, sizeof(t), (int64_t)r->now);
		fprintf(out, "  checked at   %s%s\n", t,
		        r->lenient ? ", lenient (resolver) semantics" : "");
		fprintf(out,
		        "  records      %" PRIu64 " in %" PRIu64
		        " RRsets at %" PRIu64 " names\n",
		        r->records, r->rrsets, r->names);
		fprintf(out,
		        "  delegations  %" PRIu64 " (%" PRIu64
		        " secure, %" PRIu64 " insecure)\n",
		        r->delegations, r->secure_delegations,
		        r->delegations - r->secure_delegations);
		switch (r->denial) {
		case SIGIL_DENIAL_NSEC:
			fprintf(out, "  denial       NSEC\n");
			break;
		case SIGIL_DENIAL_NSEC3:
			salt_hex(salt, r);
			fprintf(out,
			        "  denial       NSEC3, hash %u, %u iterations, "
			        "salt %s%s, "
			        "%" PRIu64 " records\n",
			        r->nsec3_alg, r->nsec3_iterations, salt,
			        r->nsec3_optout ? ", opt-out" : "",
			        r->nsec3_records);
			break;
		default:
			fprintf(out, "  denial       none\n");
		}
		fprintf(out,
		        "  signatures   %" PRIu64 " checked, %" PRIu64
		        " valid, %" PRIu64 " not valid (%u threads, %.2f s)\n",
		        r->signatures, r->signatures_valid,
		        r->signatures_invalid, r->threads, r->time_total);
		for (size_t i = 0; i < r->key_count; i++) {
			const sigil_verify_keystat_t *k = &r->keys[i];
			char extra[64] = "";
			if (k->keys > 1) {
				snprintf(extra, sizeof(extra),
				         ", %u keys share this tag", k->keys);
			}
			if (k->published) {
				char exp[80] = "";
				if (k->earliest_expiration >= 0) {
					fmt_time(t, sizeof(t),
					         k->earliest_expiration);
					snprintf(exp, sizeof(exp),
					         ", first expiry %s", t);
				}
				fprintf(out,
				        "  key %5u    alg %u %s, %s, %u "
				        "bits%s: %" PRIu64 " valid, %" PRIu64
				        " not valid%s\n",
				        k->tag, k->alg, alg_name(k->alg),
				        role(k->flags), k->bits, extra,
				        k->valid, k->invalid, exp);
			} else {
				fprintf(out,
				        "  key %5u    alg %u %s, not in the "
				        "DNSKEY RRset: "
				        "%" PRIu64 " signatures\n",
				        k->tag, k->alg, alg_name(k->alg),
				        k->valid + k->invalid);
			}
		}
		if (r->earliest_expiration >= 0) {
			fmt_time(t, sizeof(t), r->earliest_expiration);
			fmt_duration(d, sizeof(d), r->expire_warn);
			fprintf(out,
			        "  expiry       first valid signature expires "
			        "%s; %" PRIu64 " within %s\n",
			        t, r->expiring_soon, d);
		}
	}
	for (size_t i = 0; i < r->finding_count; i++) {
		const sigil_verify_finding_t *f = &r->findings[i];
		char tn[16];
		fprintf(out, "%s: %s %s: %s [%s]\n",
		        f->severity == SIGIL_SEV_ERROR ? "error" : "warning",
		        f->owner,
		        f->type ? sigil_rrtype_name(f->type, tn) : "-",
		        f->message, sigil_finding_code(f->code));
	}
	if (r->findings_dropped > 0) {
		fprintf(out,
		        "(%zu more findings not listed; see --max-findings)\n",
		        r->findings_dropped);
	}
	if (r->errors == 0) {
		fprintf(out, "result: valid (%" PRIu64 " warnings)\n",
		        r->warnings);
	} else {
		fprintf(out,
		        "result: INVALID (%" PRIu64 " errors, %" PRIu64
		        " warnings)\n",
		        r->errors, r->warnings);
	}
}

void verify_report_json(FILE *out, const sigil_verify_report_t *r,
                        const char *path)
{
	char salt[520];
	fprintf(out, "{\"zone\":");
	cmd_json_str(out, r->zone);
	fprintf(out, ",\"file\":");
	cmd_json_str(out, path);
	fprintf(out, ",\"valid\":%s,\"lenient\":%s,\"time\":%" PRIu64,
	        r->errors == 0 ? "true" : "false",
	        r->lenient ? "true" : "false", r->now);
	fprintf(out,
	        ",\"summary\":{\"records\":%" PRIu64 ",\"rrsets\":%" PRIu64
	        ",\"names\":%" PRIu64 ",\"delegations\":%" PRIu64
	        ",\"secure_delegations\":%" PRIu64 ",\"signatures\":%" PRIu64
	        ",\"signatures_valid\":%" PRIu64
	        ",\"signatures_invalid\":%" PRIu64 ",\"errors\":%" PRIu64
	        ",\"warnings\":%" PRIu64 ",\"expiring_soon\":%" PRIu64
	        ",\"expire_warn\":%u"
	        ",\"earliest_expiration\":",
	        r->records, r->rrsets, r->names, r->delegations,
	        r->secure_delegations, r->signatures, r->signatures_valid,
	        r->signatures_invalid, r->errors, r->warnings, r->expiring_soon,
	        r->expire_warn);
	if (r->earliest_expiration >= 0) {
		fprintf(out, "%" PRId64, r->earliest_expiration);
	} else {
		fprintf(out, "null");
	}
	fprintf(out, ",\"findings_dropped\":%zu}", r->findings_dropped);
	fprintf(out,
	        ",\"run\":{\"threads\":%u,\"seconds\":%.3f,\"phases\":{"
	        "\"load\":%.3f,\"order\":%.3f,\"signatures\":%.3f,"
	        "\"checks\":%.3f},\"store_bytes\":%zu}",
	        r->threads, r->time_total, r->time_load, r->time_order,
	        r->time_sigs, r->time_checks, r->memory);
	switch (r->denial) {
	case SIGIL_DENIAL_NSEC3:
		salt_hex(salt, r);
		fprintf(out,
		        ",\"denial\":{\"type\":\"NSEC3\",\"algorithm\":%u,"
		        "\"iterations\":%u,\"salt\":\"%s\",\"opt_out\":%s,"
		        "\"records\":%" PRIu64 "}",
		        r->nsec3_alg, r->nsec3_iterations,
		        r->nsec3_salt_len ? salt : "",
		        r->nsec3_optout ? "true" : "false", r->nsec3_records);
		break;
	case SIGIL_DENIAL_NSEC:
		fprintf(out, ",\"denial\":{\"type\":\"NSEC\"}");
		break;
	default:
		fprintf(out, ",\"denial\":null");
	}
	fprintf(out, ",\"keys\":[");
	for (size_t i = 0; i < r->key_count; i++) {
		const sigil_verify_keystat_t *k = &r->keys[i];
		fprintf(out,
		        "%s{\"tag\":%u,\"algorithm\":%u,\"flags\":%u,\"bits\":%"
		        "u,"
		        "\"published\":%s,\"keys\":%u,\"valid\":%" PRIu64
		        ",\"invalid\":%" PRIu64 ",\"earliest_expiration\":",
		        i ? "," : "", k->tag, k->alg, k->flags, k->bits,
		        k->published ? "true" : "false", k->keys, k->valid,
		        k->invalid);
		if (k->earliest_expiration >= 0) {
			fprintf(out, "%" PRId64 "}", k->earliest_expiration);
		} else {
			fprintf(out, "null}");
		}
	}
	fprintf(out, "],\"findings\":[");
	for (size_t i = 0; i < r->finding_count; i++) {
		const sigil_verify_finding_t *f = &r->findings[i];
		char tn[16];
		fprintf(out,
		        "%s{\"severity\":\"%s\",\"code\":\"%s\",\"owner\":",
		        i ? "," : "",
		        f->severity == SIGIL_SEV_ERROR ? "error" : "warning",
		        sigil_finding_code(f->code));
		cmd_json_str(out, f->owner);
		fprintf(out, ",\"type\":");
		if (f->type) {
			cmd_json_str(out, sigil_rrtype_name(f->type, tn));
		} else {
			fprintf(out, "null");
		}
		if (f->key_tag >= 0) {
			fprintf(out, ",\"key_tag\":%d", f->key_tag);
		} else {
			fprintf(out, ",\"key_tag\":null");
		}
		if (f->alg >= 0) {
			fprintf(out, ",\"algorithm\":%d", f->alg);
		} else {
			fprintf(out, ",\"algorithm\":null");
		}
		fprintf(out, ",\"message\":");
		cmd_json_str(out, f->message);
		fputc('}', out);
	}
	fprintf(out, "]}\n");
}
