#!/bin/bash
# verify-bench.sh — time `sigil verify` against peer validators on one
# NSEC3 opt-out, ECDSA P-256 signed TLD-like zone, and against the OpenSSL
# verification floor.
#
#   bench/verify-bench.sh [--delegations N] [--workdir DIR] [--keep]
#
#   --delegations N  delegations in the generated zone (default 100000)
#   --workdir DIR    cache and results directory (default bench/work)
#   --keep           keep the unsigned zone and the logs of every tool
#                    (by default only logs of tools that failed are kept)
#
# Environment: SIGIL (default <repo>/build/sigil), CC (for the generator).
#
# Steps:
#  1. bench/gen-tld-zone --delegations N  ->  DIR/tld-N.zone
#  2. keys (once, DIR/keys): dnssec-keygen -a ECDSAP256SHA256, a KSK and a ZSK
#  3. dnssec-signzone -S -3 - -H 0 -A (NSEC3, SHA-1, 0 iterations, no salt,
#     opt-out), 30 days of validity starting at 00:00 UTC yesterday, one
#     record per line  ->  DIR/tld-N.signed (+ DIR/tld-N.meta).
#     Reused on later runs while still valid for at least a day and while
#     the generator source is unchanged.
#  4. one after another on that file, each under /usr/bin/time:
#       $SIGIL verify --time EPOCH file
#       kzonecheck -d on -o tld. -t EPOCH file
#       dnssec-verify -o tld. file                (no time option: uses now)
#       ldns-verify-zone -t EPOCH file
#       validns -z tld. -p all -t EPOCH file
#     EPOCH is fixed per signed zone: 00:00 UTC of the signing day.
#  5. floor = RRSIG count / `openssl speed ecdsap256` verify rate (1 core),
#     and that divided by the core count; table + ratios printed and
#     written to DIR/results-N.txt.
#
# Exit status: 0 when the table was produced and sigil (if built) exited 0;
# 1 on setup errors (missing tools, generation or signing failure);
# 3 when sigil ran but did not exit 0.
set -eu
set -o pipefail
trap 'echo "verify-bench: unexpected failure at line $LINENO (exit $?)" >&2' ERR

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
repo=$(dirname -- "$here")
origin=tld.
ndeleg=100000
workdir="$here/work"
keep=0

die() { echo "verify-bench: $*" >&2; exit 1; }
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case $1 in
	--delegations) [ $# -ge 2 ] || die "--delegations needs a value"; ndeleg=$2; shift 2 ;;
	--delegations=*) ndeleg=${1#*=}; shift ;;
	--workdir) [ $# -ge 2 ] || die "--workdir needs a value"; workdir=$2; shift 2 ;;
	--workdir=*) workdir=${1#*=}; shift ;;
	--keep) keep=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done
case $ndeleg in
''|*[!0-9]*) die "--delegations must be a non-negative integer, got '$ndeleg'" ;;
esac

SIGIL=${SIGIL:-$repo/build/sigil}

need() {
	command -v "$1" >/dev/null 2>&1 ||
		die "required tool '$1' not found${2:+ (install $2)}"
}
need awk gawk/mawk
need openssl openssl
need dnssec-keygen bind9-utils
need dnssec-signzone bind9-utils
need sha256sum coreutils
need "${CC:-cc}" gcc
[ -x /usr/bin/time ] || die "/usr/bin/time not found (install the 'time' package)"

mkdir -p "$workdir"
workdir=$(CDPATH='' cd -- "$workdir" && pwd)
base="$workdir/tld-$ndeleg"
unsigned="$base.zone"
signed="$base.signed"
meta="$base.meta"
logdir="$workdir/logs-$ndeleg"
results="$workdir/results-$ndeleg.txt"
keydir="$workdir/keys"
mkdir -p "$logdir"

gen_sum=$(sha256sum "$here/gen-tld-zone.c" | cut -d' ' -f1)
now=$(date -u +%s)
utc() { date -u -d "@$1" +%Y%m%d%H%M%S; }

# ---- signed zone: reuse or (re)build ---------------------------------------
reuse=0
if [ -s "$signed" ] && [ -s "$meta" ]; then
	m_gen=$(awk -F= '$1=="gen_sha256"{print $2}' "$meta")
	m_exp=$(awk -F= '$1=="expiration"{print $2}' "$meta")
	m_n=$(awk -F= '$1=="delegations"{print $2}' "$meta")
	if [ "$m_gen" != "$gen_sum" ]; then
		echo "verify-bench: generator changed since $signed was made; re-signing"
	elif [ "$m_n" != "$ndeleg" ]; then
		echo "verify-bench: $meta does not match N=$ndeleg; re-signing"
	elif [ -z "$m_exp" ] || [ $((now + 86400)) -ge "$m_exp" ]; then
		echo "verify-bench: signatures in $signed expire within a day; re-signing"
	else
		reuse=1
	fi
fi

if [ $reuse = 0 ]; then
	rm -f "$meta"
	echo "verify-bench: generating $ndeleg delegations -> $unsigned"
	gen_t0=$(date +%s.%N)
	"$here/gen-tld-zone" --origin "$origin" --delegations "$ndeleg" >"$unsigned.tmp" ||
		die "bench/gen-tld-zone failed"
	mv -f "$unsigned.tmp" "$unsigned"
	gen_t1=$(date +%s.%N)

	nkeys=$(find "$keydir" -maxdepth 1 -name "K$origin+013+*.private" 2>/dev/null | wc -l || true)
	if [ "$nkeys" -lt 2 ]; then
		echo "verify-bench: creating KSK and ZSK (ECDSAP256SHA256) in $keydir"
		rm -rf "$keydir"
		mkdir -p "$keydir"
		dnssec-keygen -q -K "$keydir" -a ECDSAP256SHA256 -f KSK "$origin" >/dev/null ||
			die "dnssec-keygen (KSK) failed"
		dnssec-keygen -q -K "$keydir" -a ECDSAP256SHA256 "$origin" >/dev/null ||
			die "dnssec-keygen (ZSK) failed"
	fi

	inception=$(( now / 86400 * 86400 - 86400 ))   # 00:00 UTC yesterday
	expiration=$(( inception + 30 * 86400 ))
	epoch=$(( inception + 86400 ))                  # 00:00 UTC today
	sign_cmd=(dnssec-signzone -S -K "$keydir" -3 - -H 0 -A -P -t -O full
		-s "$(utc $inception)" -e "$(utc $expiration)"
		-o "$origin" -f "$signed.tmp" "$unsigned")
	echo "verify-bench: signing: ${sign_cmd[*]}"
	sign_rc=0
	/usr/bin/time -f '%e %U %S %M' -o "$logdir/sign.time" \
		"${sign_cmd[@]}" >"$logdir/sign.log" 2>&1 || sign_rc=$?
	if [ $sign_rc != 0 ]; then
		tail -n 20 "$logdir/sign.log" >&2
		rm -f "$signed.tmp"
		die "dnssec-signzone failed (exit $sign_rc), log: $logdir/sign.log"
	fi
	mv -f "$signed.tmp" "$signed"
	read -r s_wall s_user s_sys s_rss < <(tail -n 1 "$logdir/sign.time")
	rm -f "$logdir/sign.time"
	[ $keep = 1 ] || rm -f "$logdir/sign.log"
	counts=$(awk '$1 !~ /^;/ && NF >= 4 { n++; if ($4 == "RRSIG") s++ }
		END { printf "%d %d", n, s }' "$signed")
	{
		echo "delegations=$ndeleg"
		echo "origin=$origin"
		echo "gen_sha256=$gen_sum"
		echo "gen_seconds=$(awk -v a="$gen_t0" -v b="$gen_t1" 'BEGIN{printf "%.2f", b - a}')"
		echo "inception=$inception"
		echo "expiration=$expiration"
		echo "epoch=$epoch"
		echo "records=${counts% *}"
		echo "rrsigs=${counts#* }"
		echo "sign_wall=$s_wall"
		echo "sign_cpu=$(awk -v u="$s_user" -v s="$s_sys" 'BEGIN{printf "%.2f", u + s}')"
		echo "sign_rss_kib=$s_rss"
		echo "sign_cmd=${sign_cmd[*]}"
		echo "signed_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	} >"$meta.tmp"
	mv -f "$meta.tmp" "$meta"
	[ $keep = 1 ] || rm -f "$unsigned"
	echo "verify-bench: signed in ${s_wall}s wall -> $signed"
else
	echo "verify-bench: reusing $signed"
fi

mget() { awk -F= -v k="$1" '$1==k { sub(/^[^=]*=/, ""); print; exit }' "$meta"; }
epoch=$(mget epoch)
rrsigs=$(mget rrsigs)
records=$(mget records)
[ -n "$epoch" ] && [ -n "$rrsigs" ] || die "$meta is incomplete; delete it and rerun"

# ---- OpenSSL floor ----------------------------------------------------------
echo "verify-bench: measuring 'openssl speed -seconds 3 ecdsap256' (single core)"
rate=$(openssl speed -seconds 3 ecdsap256 2>/dev/null |
	awk '/ecdsa \(nistp256\)/ { print $NF }' | tail -n 1)
[ -n "$rate" ] || die "could not parse the verify rate from 'openssl speed ecdsap256'"
ncores=$(nproc)
floor1=$(awk -v n="$rrsigs" -v r="$rate" 'BEGIN { printf "%.2f", n / r }')
floorN=$(awk -v n="$rrsigs" -v r="$rate" -v c="$ncores" 'BEGIN { printf "%.2f", n / r / c }')

# ---- runs ---------------------------------------------------------------------
names=() rcs=() walls=() cpus=() rsss=() notes=()

record() { # name rc wall cpu rss note
	names+=("$1") rcs+=("$2") walls+=("$3") cpus+=("$4") rsss+=("$5") notes+=("$6")
}

run() { # name tool-name args...
	local name=$1; shift
	local log="$logdir/$name.log" tf="$logdir/$name.time" rc=0
	if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$1" ]; then
		echo "verify-bench: $name: '$1' not installed, skipped" >&2
		record "$name" - - - - "not installed"
		return 0
	fi
	echo "verify-bench: running $name: $*"
	/usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$log" 2>&1 || rc=$?
	local wall user sys rss
	read -r wall user sys rss < <(tail -n 1 "$tf")
	local cpu rssm note=""
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	rssm=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
	if [ $rc != 0 ]; then
		if [ "$name" = validns ] && grep -q 'error building pkey' "$log"; then
			note="exit $rc: cannot load ECDSA keys (validns + OpenSSL 3), no signature checked"
		else
			note="exit $rc: $(grep -v '^Command ' "$log" | head -n 1 |
				sed "s|^$signed:|line |" | cut -c1-70)"
		fi
	elif [ $keep = 0 ]; then
		rm -f "$log"
	fi
	rm -f "$tf"
	record "$name" "$rc" "$wall" "$cpu" "$rssm" "$note"
}

cat "$signed" >/dev/null   # same warm page cache for everyone
load=$(cut -d' ' -f1-3 /proc/loadavg)
busy=$(awk -v l="${load%% *}" -v c="$ncores" 'BEGIN { print (l > c / 2) ? 1 : 0 }')
[ "$busy" = 0 ] || echo "verify-bench: WARNING: load average $load on $ncores cores; timings will be noisy" >&2

if [ -x "$SIGIL" ]; then
	run sigil "$SIGIL" verify --time "$epoch" "$signed"
else
	echo "sigil: not built ($SIGIL), skipping it"
	record sigil - - - - "not built"
fi
run kzonecheck kzonecheck -d on -o "$origin" -t "$epoch" "$signed"
run dnssec-verify dnssec-verify -o "$origin" "$signed"
run ldns-verify-zone ldns-verify-zone -t "$(utc "$epoch")" "$signed"
run validns validns -z "$origin" -p all -t "$epoch" "$signed"

# ---- report -------------------------------------------------------------------
ver() { "$@" 2>&1 | head -n 1 | tr -s ' \t' ' ' | cut -c1-70 || true; }
report() {
	echo "sigil verify benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host: $(uname -n), $ncores cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "load average before the runs: $load$([ "$busy" = 0 ] || echo " (busy machine: timings are noisy)")"
	echo "zone: $signed"
	echo "      $ndeleg delegations, $records records, $rrsigs RRSIGs; NSEC3 opt-out, alg 13"
	echo "      signed by: $(mget sign_cmd)"
	echo "      signing took $(mget sign_wall)s wall, $(mget sign_cpu)s CPU, at $(mget signed_at)"
	echo "validation time (epoch): $epoch ($(utc "$epoch") UTC); dnssec-verify uses the clock"
	echo "versions: kzonecheck $(ver kzonecheck -V | awk '{print $NF}'), $(ver dnssec-verify -V), $(ver ldns-verify-zone -v), $(ver openssl version)"
	echo
	printf '%-18s %6s %9s %9s %9s  %s\n' tool exit wall_s cpu_s rss_MiB note
	local i
	for i in "${!names[@]}"; do
		printf '%-18s %6s %9s %9s %9s  %s\n' "${names[i]}" "${rcs[i]}" \
			"${walls[i]}" "${cpus[i]}" "${rsss[i]}" "${notes[i]}"
	done
	printf '%-18s %6s %9s %9s %9s  %s\n' "floor, 1 core" - "$floor1" "$floor1" - \
		"$rrsigs RRSIGs / $rate verify/s (openssl speed ecdsap256)"
	printf '%-18s %6s %9s %9s %9s  %s\n' "floor, $ncores cores" - "$floorN" "$floor1" - \
		"same, spread over $ncores cores"
	echo
	if [ "${rcs[0]}" = - ]; then
		echo "ratios: sigil not run"
		return 0
	fi
	local sw=${walls[0]} sc=${cpus[0]} sr=${rsss[0]}
	echo "ratios (sigil / other; < 1 means sigil is faster or smaller):"
	[ "${rcs[0]}" = 0 ] || echo "  WARNING: sigil exited ${rcs[0]}; its figures are not a valid result"
	for i in "${!names[@]}"; do
		[ "$i" != 0 ] || continue
		if [ "${rcs[i]}" = - ]; then
			printf '  %-18s %s\n' "${names[i]}" "not run"
			continue
		fi
		awk -v n="${names[i]}" -v sw="$sw" -v pw="${walls[i]}" -v sr="$sr" \
			-v pr="${rsss[i]}" -v rc="${rcs[i]}" 'BEGIN {
			w = (pw > 0) ? sprintf("%.3f", sw / pw) : "n/a"
			r = (pr > 0) ? sprintf("%.3f", sr / pr) : "n/a"
			x = (rc != 0) ? "   (peer exited " rc ", not comparable)" : ""
			printf "  %-18s wall %s   RSS %s%s\n", n, w, r, x
		}'
	done
	awk -v sc="$sc" -v sw="$sw" -v f1="$floor1" -v fn="$floorN" -v c="$ncores" 'BEGIN {
		a = (f1 > 0) ? sprintf("%.3f", sc / f1) : "n/a"
		b = (fn > 0) ? sprintf("%.3f", sw / fn) : "n/a"
		printf "  %-18s CPU %s   (sigil CPU / 1-core floor)\n", "floor", a
		printf "  %-18s wall %s   (sigil wall / %d-core floor)\n", "floor", b, c
	}'
}
report | tee "$results"
echo "verify-bench: results written to $results"
[ $keep = 1 ] || rmdir "$logdir" 2>/dev/null || echo "verify-bench: logs of failed runs in $logdir"

if [ "${rcs[0]}" != - ] && [ "${rcs[0]}" != 0 ]; then
	exit 3
fi
exit 0
