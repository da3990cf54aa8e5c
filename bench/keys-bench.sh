#!/bin/bash
# keys-bench.sh — time key generation (generation + replication + proof of
# possession in every HSM) and `sigil keys check` on a SoftHSM2 test bed.
#
#   bench/keys-bench.sh [--hsms N] [--keys K] [--workdir DIR]
#
#   --hsms N     SoftHSM2 tokens in the test bed (default 3, over 2 sites)
#   --keys K     keys generated per algorithm and checked (default 10)
#   --workdir DIR  where the test bed goes (default: a new temporary
#                directory, removed afterwards)
#
# Environment: SIGIL (default <repo>/build/sigil).
#
# Steps: `sigil testbed`, `sigil hsm enroll`; then per algorithm (13:
# generated in hsm1 and wrapped to the others; 8: RSA-2048, likewise; 15:
# Ed25519, generated in software and imported) K times `sigil keys
# generate` (one process per key, as an operator runs it), each timed;
# then `sigil keys check` over the K keys of algorithm 13 (K x N proofs),
# timed.  Prints per algorithm the mean and the slowest generation and the
# check time; every command must exit 0.
set -eu
set -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
SIGIL=${SIGIL:-$here/../build/sigil}
hsms=3
keys=10
work=

while [ $# -gt 0 ]; do
	case $1 in
	--hsms) hsms=$2; shift 2 ;;
	--keys) keys=$2; shift 2 ;;
	--workdir) work=$2; shift 2 ;;
	*) echo "usage: $0 [--hsms N] [--keys K] [--workdir DIR]" >&2; exit 2 ;;
	esac
done
[ -x "$SIGIL" ] || { echo "keys-bench: $SIGIL not built (make)" >&2; exit 1; }
if [ -z "$work" ]; then
	work=$(mktemp -d /tmp/sigil-keys-bench-XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi
bed=$work/testbed
"$SIGIL" testbed "$bed" --hsms "$hsms" >/dev/null
export SOFTHSM2_CONF=$bed/softhsm2.conf
conf=$bed/sigil.conf
"$SIGIL" hsm enroll -c "$conf" >/dev/null

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", ($1) }"; }

echo "$("$SIGIL" --version)," \
	"$hsms SoftHSM2 tokens, $keys keys per algorithm, $(nproc) CPUs"
printf '%-22s %10s %10s\n' "generate (per key)" "mean s" "max s"
for alg in 13 8 15; do
	total=0
	max=0
	for i in $(seq 1 "$keys"); do
		t0=$(now)
		"$SIGIL" keys generate "alg$alg.bench." --role zsk \
			--algorithm "$alg" -c "$conf" >/dev/null
		t1=$(now)
		dt=$(calc "$t1 - $t0")
		total=$(calc "$total + $dt")
		max=$(calc "$dt > $max ? $dt : $max")
	done
	printf '%-22s %10.3f %10.3f\n' "algorithm $alg" \
		"$(calc "$total / $keys")" "$max"
done
t0=$(now)
"$SIGIL" keys check alg13.bench. -c "$conf" >"$work/check.txt"
t1=$(now)
proofs=$(grep -c ': ok$' "$work/check.txt")
printf 'keys check: %d keys x %d HSMs = %d proofs ok in %.3f s\n' \
	"$keys" "$hsms" "$proofs" "$(calc "$t1 - $t0")"
[ "$proofs" -eq $((keys * hsms)) ] || {
	echo "keys-bench: expected $((keys * hsms)) proofs ok" >&2
	exit 3
}
