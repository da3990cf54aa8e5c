/* libFuzzer harness: any bytes as a zone file must give a report or a
 * clean error from sigil_verify_file, never a crash, hang or leak.
 *
 *   make fuzz-verify && build/fuzz/verify -max_total_time=300 tests/fuzz/corpus
 *
 * Not part of `make check` (it runs until stopped); the corpus seeds are
 * small signed zones. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "verify/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/sigil-fuzz-%d.zone",
		         (int)getpid());
	}
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		return 0;
	}
	fwrite(data, 1, size, f);
	fclose(f);

	sigil_verify_opts_t opts = {
		.now = 1800000000,
		.expire_warn = 7 * 86400,
		.threads = 2,
		.max_findings = 100,
	};
	sigil_verify_report_t *rep = NULL;
	sigil_load_error_t err;
	if (sigil_verify_file(path, &opts, &rep, &err) == 0) {
		sigil_verify_report_free(rep);
	}
	return 0;
}
