#!/bin/bash
# sign-bench.sh — time `sigil sign` against kzonesign and dnssec-signzone on
# one unsigned TLD-like zone (NSEC3 opt-out, ECDSA P-256), with software
# keys and with SoftHSM2 tokens, and against the tokens' raw signing rate.
#
#   bench/sign-bench.sh [--delegations N] [--workdir DIR] [--keep] [--runs R]
#
#   --delegations N  delegations in the generated zone (default 100000)
#   --workdir DIR    cache and results directory (default bench/work)
#   --keep           keep the signed output and the log of every run
#                    (by default only those of failed runs are kept)
#   --runs R         R rounds, every signer once per round; the fastest
#                    run of each is kept (default 1; use 2-3 on a
#                    machine with other work)
#
# Environment: SIGIL (default <repo>/build/sigil), CC.
#
# Setup, cached in DIR and reused by later runs:
#   DIR/tld-N.zone      bench/gen-tld-zone --delegations N (10 % DS),
#                       regenerated when bench/gen-tld-zone.c changes
#   DIR/keys/           BIND KSK + ZSK (dnssec-keygen -a ECDSAP256SHA256),
#                       shared with verify-bench.sh
#   DIR/sign-soft/      `sigil testbed --soft` + KSK and ZSK (algorithm 13)
#   DIR/sign-hsm/       `sigil testbed` (3 SoftHSM2 tokens), enrolled,
#                       KSK and ZSK (algorithm 13)
#   DIR/knot-soft/      Knot configuration + KASP db (keymgr generate)
#   DIR/knot-p11/       same with a PKCS#11 keystore on one SoftHSM2 token
# Policy everywhere: NSEC3 SHA-1, opt-out, 0 extra iterations, empty salt,
# algorithm 13, KSK + ZSK.
#
# Runs (each under /usr/bin/time; outputs in DIR/sign-N/):
#   sigil-soft           sigil sign --nsec3 --opt-out (every signature verified)
#   sigil-soft-sample    same with --verify-sample 100
#   kzonesign            kzonesign, signing-threads 2, adjust-threads 2
#   bind-default         dnssec-signzone -S -3 - -A -H 0 -O full (verifies)
#   bind-P               same with -P (no verification of its signatures)
#   sigil-hsm            sigil sign on the 3 tokens (every signature verified)
#   sigil-hsm-sample     same with --verify-sample 100
#   kzonesign-p11-1t     kzonesign, PKCS#11 keystore, signing-threads 1
#   kzonesign-p11-2t     same, signing-threads 2
# and in every round bench/build/p11-sign on the 3 tokens of DIR/sign-hsm
# (all at once, 1 and 2 threads per token: the higher is the tokens'
# combined raw rate), with session objects and with token objects (as a
# signer's keys are; the --verify-sample target is against this rate),
# and on the Knot token (1 and 2 threads).  Every output is checked with
# `sigil verify -q`; a run whose output does not validate is marked
# INVALID.  Prints, and writes to DIR/sign-results-N.txt, wall/CPU
# seconds, peak RSS, RRSIG count and signatures per second of every run,
# sigil's signing-phase time and rate (from its --json report), and the
# ratios against the targets of the signer issue.
#
# Exit status: 0 table produced and every sigil run exited 0 with a valid
# output; 1 setup error; 3 otherwise.
set -eu
set -o pipefail
trap 'echo "sign-bench: unexpected failure at line $LINENO (exit $?)" >&2' ERR

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
repo=$(dirname -- "$here")
origin=tld.
ndeleg=100000
workdir="$here/work"
keep=0
runs=1

die() { echo "sign-bench: $*" >&2; exit 1; }
say() { echo "sign-bench: $*" >&2; }
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case $1 in
	--delegations) [ $# -ge 2 ] || die "--delegations needs a value"; ndeleg=$2; shift 2 ;;
	--delegations=*) ndeleg=${1#*=}; shift ;;
	--workdir) [ $# -ge 2 ] || die "--workdir needs a value"; workdir=$2; shift 2 ;;
	--workdir=*) workdir=${1#*=}; shift ;;
	--runs) [ $# -ge 2 ] || die "--runs needs a value"; runs=$2; shift 2 ;;
	--runs=*) runs=${1#*=}; shift ;;
	--keep) keep=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done
case $ndeleg in ''|*[!0-9]*) die "--delegations must be a non-negative integer" ;; esac
case $runs in ''|0|*[!0-9]*) die "--runs must be a positive integer" ;; esac

SIGIL=${SIGIL:-$repo/build/sigil}
[ -x "$SIGIL" ] || die "$SIGIL not built (make build/sigil)"
SIGIL=$(CDPATH='' cd -- "$(dirname -- "$SIGIL")" && pwd)/$(basename -- "$SIGIL")
module=/usr/lib/softhsm/libsofthsm2.so

need() {
	command -v "$1" >/dev/null 2>&1 || die "required tool '$1' not found${2:+ (install $2)}"
}
need awk gawk/mawk
need dnssec-keygen bind9-utils
need dnssec-signzone bind9-utils
need kzonesign knot-dnssecutils
need keymgr knot
need softhsm2-util softhsm2
need sha256sum coreutils
need "${CC:-cc}" gcc
[ -x /usr/bin/time ] || die "/usr/bin/time not found (install the 'time' package)"
[ -r "$module" ] || die "$module not found (install softhsm2)"
make -s -C "$here" build/gen-tld-zone build/p11-sign >/dev/null || die "cannot build bench/ helpers"

mkdir -p "$workdir"
workdir=$(CDPATH='' cd -- "$workdir" && pwd)
unsigned="$workdir/tld-$ndeleg.zone"
outdir="$workdir/sign-$ndeleg"
results="$workdir/sign-results-$ndeleg.txt"
keydir="$workdir/keys"
mkdir -p "$outdir"

# ---- unsigned zone ------------------------------------------------------------
gen_sum=$(sha256sum "$here/gen-tld-zone.c" | cut -d' ' -f1)
if [ -s "$unsigned" ] && [ -s "$unsigned.sha256" ] &&
	[ "$(cat "$unsigned.sha256")" = "$gen_sum" ]; then
	say "reusing $unsigned"
else
	say "generating $ndeleg delegations -> $unsigned"
	"$here/gen-tld-zone" --origin "$origin" --delegations "$ndeleg" >"$unsigned.tmp" ||
		die "bench/gen-tld-zone failed"
	mv -f "$unsigned.tmp" "$unsigned"
	echo "$gen_sum" >"$unsigned.sha256"
fi

# ---- BIND keys (same as verify-bench.sh) --------------------------------------
nkeys=$(find "$keydir" -maxdepth 1 -name "K$origin+013+*.private" 2>/dev/null | wc -l || true)
if [ "$nkeys" -lt 2 ]; then
	say "creating BIND KSK and ZSK in $keydir"
	rm -rf "$keydir"
	mkdir -p "$keydir"
	dnssec-keygen -q -K "$keydir" -a ECDSAP256SHA256 -f KSK "$origin" >/dev/null
	dnssec-keygen -q -K "$keydir" -a ECDSAP256SHA256 "$origin" >/dev/null
fi

# ---- sigil test beds --------------------------------------------------------------
sigil_bed() { # dir soft|hsm
	local d=$1 kind=$2
	[ -f "$d/.ready" ] && return 0
	say "creating sigil test bed ($kind) in $d"
	rm -rf "$d"
	if [ "$kind" = soft ]; then
		"$SIGIL" testbed "$d" --soft >/dev/null
	else
		"$SIGIL" testbed "$d" --hsms 3 >/dev/null
		SOFTHSM2_CONF=$d/softhsm2.conf "$SIGIL" hsm enroll -c "$d/sigil.conf" >/dev/null
	fi
	local role
	for role in ksk zsk; do
		SOFTHSM2_CONF=$d/softhsm2.conf "$SIGIL" keys generate "$origin" --role $role \
			--algorithm 13 -c "$d/sigil.conf" >/dev/null
	done
	touch "$d/.ready"
}
softbed=$workdir/sign-soft
hsmbed=$workdir/sign-hsm
sigil_bed "$softbed" soft
sigil_bed "$hsmbed" hsm

# ---- Knot configurations -------------------------------------------------------
knot_conf() { # dir threads keystore-line-or-empty
	local d=$1 th=$2 ks=$3
	cat <<EOF
# made by bench/sign-bench.sh
server:
    rundir: "$d"
database:
    storage: "$d/db"
    kasp-db: "$d/kasp"
    journal-db: "$d/db/journal"
    timer-db: "$d/db/timers"
$ks
policy:
  - id: bench
$( [ -n "$ks" ] && echo "    keystore: hsm" )
    algorithm: ecdsap256sha256
    single-type-signing: off
    nsec3: on
    nsec3-opt-out: on
    nsec3-iterations: 0
    nsec3-salt-length: 0
    cds-cdnskey-publish: none
    signing-threads: $th
template:
  - id: default
    storage: "$d"
zone:
  - domain: $origin
    file: "$unsigned"
    journal-content: none
    zonefile-load: whole
    dnssec-signing: on
    dnssec-policy: bench
    adjust-threads: $th
EOF
}
knot_keys() { # conf
	if [ "$(keymgr -c "$1" "$origin" list 2>/dev/null | wc -l)" -lt 2 ]; then
		keymgr -c "$1" "$origin" generate algorithm=ecdsap256sha256 ksk=yes zsk=no >/dev/null
		keymgr -c "$1" "$origin" generate algorithm=ecdsap256sha256 ksk=no zsk=yes >/dev/null
	fi
}
ksoft=$workdir/knot-soft
kp11=$workdir/knot-p11
mkdir -p "$ksoft/kasp" "$ksoft/db" "$kp11/kasp" "$kp11/db" "$kp11/tokens"
knot_conf "$ksoft" 2 "" >"$ksoft/knot-2t.conf"
knot_keys "$ksoft/knot-2t.conf"

cat >"$kp11/softhsm2.conf" <<EOF
# SoftHSM2 token of the Knot PKCS#11 benchmark (bench/sign-bench.sh)
directories.tokendir = $kp11/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
export_p11() { SOFTHSM2_CONF=$kp11/softhsm2.conf "$@"; }
kpin=1234
if ! export_p11 softhsm2-util --show-slots 2>/dev/null | grep -q 'Label: *knot *$'; then
	say "initialising SoftHSM2 token 'knot' in $kp11/tokens"
	rm -rf "$kp11/tokens" "$kp11/kasp"
	mkdir -p "$kp11/tokens" "$kp11/kasp"
	export_p11 softhsm2-util --init-token --free --label knot --pin $kpin --so-pin $kpin >/dev/null
fi
ks="keystore:
  - id: hsm
    backend: pkcs11
    config: \"pkcs11:token=knot;pin-value=$kpin $module\""
knot_conf "$kp11" 1 "$ks" >"$kp11/knot-1t.conf"
knot_conf "$kp11" 2 "$ks" >"$kp11/knot-2t.conf"
export_p11 knot_keys "$kp11/knot-1t.conf"

# ---- runs -----------------------------------------------------------------------------
# The R rounds are interleaved (every signer once per round) so that
# background load falls on all of them alike; the fastest run of each is kept.
names=() rcs=() walls=() cpus=() rsss=() sigss=() valids=() notes=() nsigs=() signs=() srates=()
declare -A B_rc B_wall B_cpu B_rss B_n B_valid B_note B_sign

count_rrsigs() {
	awk '$1 !~ /^;/ && ($3 == "RRSIG" || ($3 == "IN" && $4 == "RRSIG")) { n++ }
		END { print n + 0 }' "$1"
}

# run NAME PRODUCED-FILE CMD...: one run (round $r); keeps the fastest
# exit-0, valid run of NAME.  PRODUCED-FILE is where CMD writes the zone.
run() {
	local name=$1 produced=$2; shift 2
	local out="$outdir/$name.signed" log="$outdir/$name.log" tf="$outdir/$name.time"
	local rc=0 valid=no n=0 wall user sys rss cpu rssm sign
	[ -n "${B_wall[$name]+x}" ] || names+=("$name")
	rm -f "$produced" "$out"
	say "running $name ($r/$runs): $*"
	(cd "$outdir" && /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@") >"$log" 2>&1 || rc=$?
	read -r wall user sys rss < <(tail -n 1 "$tf")
	rm -f "$tf"
	if [ $rc = 0 ] && [ -s "$produced" ]; then
		[ "$produced" = "$out" ] || mv -f "$produced" "$out"
		if "$SIGIL" verify -q "$out" >>"$log" 2>&1; then valid=yes; fi
		n=$(count_rrsigs "$out")
	fi
	# sigil's --json report: seconds of its signing phase
	sign=$(grep -o '"sign":[0-9.]*' "$log" | head -n 1 | cut -d: -f2 || true)
	say "  $name: exit $rc, ${wall}s wall, valid $valid, $n RRSIGs"
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
	rssm=$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')
	if [ $rc != 0 ] || [ $valid != yes ]; then
		B_note[$name]="run $r: exit $rc, valid $valid: $(grep -v '^Command ' "$log" | tail -n 1 | cut -c1-60)"
		cp -f "$log" "$outdir/$name.failed.log"
		if [ -z "${B_wall[$name]+x}" ] || [ "${B_valid[$name]}" != yes ]; then
			B_rc[$name]=$rc B_wall[$name]=$wall B_cpu[$name]=$cpu B_rss[$name]=$rssm
			B_n[$name]=$n B_valid[$name]=$valid
		fi
	elif [ -z "${B_wall[$name]+x}" ] || [ "${B_valid[$name]}" != yes ] ||
		awk -v a="$wall" -v b="${B_wall[$name]}" 'BEGIN{exit !(a < b)}'; then
		B_rc[$name]=0 B_wall[$name]=$wall B_cpu[$name]=$cpu B_rss[$name]=$rssm
		B_n[$name]=$n B_valid[$name]=yes B_sign[$name]=${sign:--}
	fi
	[ $keep = 1 ] || rm -f "$out" "$log"
}

# p11 TAG OUTPUT-OF-p11-sign: keeps the output with the highest combined rate.
declare -A P_best P_text
p11() {
	local tag=$1 text=$2 c
	c=$(awk '/^combined/ { print $(NF-1) }' <<<"$text")
	if [ -z "${P_best[$tag]+x}" ] || awk -v a="$c" -v b="${P_best[$tag]}" 'BEGIN{exit !(a > b)}'; then
		P_best[$tag]=$c P_text[$tag]=$text
	fi
}

cat "$unsigned" >/dev/null   # warm page cache
load=$(cut -d' ' -f1-3 /proc/loadavg)
ncores=$(nproc)

sflags=(--nsec3 --opt-out --salt - --iterations 0 --json)
bflags=(-S -K "$keydir" -3 - -A -H 0 -O full -o "$origin")
kzout="$outdir/kz/$(basename -- "$unsigned")"
for r in $(seq 1 "$runs"); do
	run sigil-soft "$outdir/sigil-soft.signed" \
		"$SIGIL" sign -c "$softbed/sigil.conf" "$unsigned" -o "$outdir/sigil-soft.signed" "${sflags[@]}"
	run sigil-soft-sample "$outdir/sigil-soft-sample.signed" \
		"$SIGIL" sign -c "$softbed/sigil.conf" "$unsigned" -o "$outdir/sigil-soft-sample.signed" \
		"${sflags[@]}" --verify-sample 100
	run kzonesign "$kzout" kzonesign -c "$ksoft/knot-2t.conf" -o "$outdir/kz" "$origin"
	run bind-default "$outdir/bind-default.signed" \
		dnssec-signzone "${bflags[@]}" -f "$outdir/bind-default.signed" "$unsigned"
	run bind-P "$outdir/bind-P.signed" \
		dnssec-signzone "${bflags[@]}" -P -f "$outdir/bind-P.signed" "$unsigned"
	run sigil-hsm "$outdir/sigil-hsm.signed" env SOFTHSM2_CONF="$hsmbed/softhsm2.conf" \
		"$SIGIL" sign -c "$hsmbed/sigil.conf" "$unsigned" -o "$outdir/sigil-hsm.signed" "${sflags[@]}"
	run sigil-hsm-sample "$outdir/sigil-hsm-sample.signed" env SOFTHSM2_CONF="$hsmbed/softhsm2.conf" \
		"$SIGIL" sign -c "$hsmbed/sigil.conf" "$unsigned" -o "$outdir/sigil-hsm-sample.signed" \
		"${sflags[@]}" --verify-sample 100
	run kzonesign-p11-1t "$kzout" env SOFTHSM2_CONF="$kp11/softhsm2.conf" \
		kzonesign -c "$kp11/knot-1t.conf" -o "$outdir/kz" "$origin"
	run kzonesign-p11-2t "$kzout" env SOFTHSM2_CONF="$kp11/softhsm2.conf" \
		kzonesign -c "$kp11/knot-2t.conf" -o "$outdir/kz" "$origin"
	# raw token rates: 3 tokens at once with 1 and 2 threads per token
	# (the higher is the reference), the Knot token with 1 and 2 threads
	say "raw token rates, round $r (bench/build/p11-sign)"
	for t in 1 2; do
		txt=$(SOFTHSM2_CONF=$hsmbed/softhsm2.conf "$here/build/p11-sign" --module "$module" \
			--pin-file "$hsmbed/pin" --threads $t --seconds 3 hsm1 hsm2 hsm3) ||
			die "p11-sign on the sigil test bed failed"
		p11 sigil "$txt"
		txt=$(SOFTHSM2_CONF=$hsmbed/softhsm2.conf "$here/build/p11-sign" --module "$module" \
			--pin-file "$hsmbed/pin" --threads $t --seconds 3 --token-objects hsm1 hsm2 hsm3) ||
			die "p11-sign --token-objects on the sigil test bed failed"
		p11 sigil-tok "$txt"
		txt=$(SOFTHSM2_CONF=$kp11/softhsm2.conf "$here/build/p11-sign" --module "$module" \
			--pin "$kpin" --threads $t --seconds 3 knot) ||
			die "p11-sign on the Knot token failed"
		p11 knot "$txt"
	done
done
rmdir "$outdir/kz" 2>/dev/null || true
rm -f "$outdir/dsset-$origin"

for name in "${names[@]}"; do
	rcs+=("${B_rc[$name]}") walls+=("${B_wall[$name]}") cpus+=("${B_cpu[$name]}")
	rsss+=("${B_rss[$name]}") valids+=("${B_valid[$name]}") notes+=("${B_note[$name]:-}")
	nsigs+=("${B_n[$name]}")
	sigss+=("$(awk -v n="${B_n[$name]}" -v w="${B_wall[$name]}" \
		'BEGIN{ if (w > 0 && n > 0) printf "%.0f", n / w; else print "-" }')")
	signs+=("${B_sign[$name]:--}")
	srates+=("$(awk -v n="${B_n[$name]}" -v w="${B_sign[$name]:--}" \
		'BEGIN{ if (w != "-" && w > 0 && n > 0) printf "%.0f", n / w; else print "-" }')")
done
raw3=${P_text[sigil]}
raw3t=${P_text[sigil-tok]}
raw1=${P_text[knot]}
comb=${P_best[sigil]}
combt=${P_best[sigil-tok]}

# ---- report -------------------------------------------------------------------------------
idx() { local i; for i in "${!names[@]}"; do [ "${names[i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }
get() { # array-name tool
	local i; i=$(idx "$2"); [ "$i" -ge 0 ] || { echo -; return; }
	local -n a=$1; echo "${a[i]}"
}
ratio() { # label a b target-op target
	awk -v l="$1" -v a="$2" -v b="$3" -v op="$4" -v t="$5" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) { printf "  %-75s n/a\n", l; exit }
		r = a / b
		if (op == "-") { printf "  %-75s %7.3f\n", l, r; exit }
		ok = (op == "<=") ? (r <= t) : (op == ">=") ? (r >= t) : (r < t)
		printf "  %-75s %7.3f   target %s %s: %s\n", l, r, op, t, ok ? "met" : "MISSED"
	}'
}
report() {
	echo "sigil sign benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host: $(uname -n), $ncores cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "load average before the runs: $load; best (lowest wall) of $runs interleaved round(s) per signer"
	echo "zone: $unsigned ($ndeleg delegations, $(grep -vc '^;' "$unsigned") lines)"
	echo "policy: NSEC3 SHA-1 opt-out, 0 iterations, no salt, ECDSAP256SHA256 KSK + ZSK"
	echo "versions: $("$SIGIL" --version 2>&1 | head -n 1), kzonesign $(kzonesign -V | awk '{print $NF}'), $(dnssec-signzone -V 2>&1 | head -n 1), SoftHSM2 $(softhsm2-util --version)"
	echo
	printf '%-18s %4s %5s %8s %8s %8s %8s %9s %7s %9s  %s\n' tool exit valid rrsigs wall_s cpu_s rss_MiB sigs/s sign_s sign_r/s note
	local i
	for i in "${!names[@]}"; do
		printf '%-18s %4s %5s %8s %8s %8s %8s %9s %7s %9s  %s\n' "${names[i]}" "${rcs[i]}" "${valids[i]}" \
			"${nsigs[i]}" \
			"${walls[i]}" "${cpus[i]}" "${rsss[i]}" "${sigss[i]}" "${signs[i]}" "${srates[i]}" "${notes[i]}"
	done
	echo "(sigs/s: RRSIGs over the whole run; sign_s, sign_r/s: sigil's signing phase from its --json report)"
	echo
	echo "raw PKCS#11 signing rates (bench/build/p11-sign, CKM_ECDSA P-256, 3 s; best of 1 and 2 threads per token over $runs round(s)):"
	sed 's/^/  /' <<<"$raw3"
	sed 's/^/  /' <<<"$raw3t"
	sed 's/^/  /' <<<"$raw1"
	echo
	echo "ratios against the targets:"
	ratio "sigil-soft wall / kzonesign wall" "$(get walls sigil-soft)" "$(get walls kzonesign)" "<=" 0.75
	ratio "sigil-soft wall / dnssec-signzone default wall" "$(get walls sigil-soft)" "$(get walls bind-default)" "<=" 0.3
	ratio "sigil-soft wall / dnssec-signzone -P wall (no target)" "$(get walls sigil-soft)" "$(get walls bind-P)" - -
	ratio "sigil-soft-sample wall / kzonesign wall" "$(get walls sigil-soft-sample)" "$(get walls kzonesign)" "<=" 0.35
	local p
	for p in kzonesign bind-default bind-P; do
		ratio "sigil-soft peak RSS / $p" "$(get rsss sigil-soft)" "$(get rsss $p)" "<" 1
	done
	for p in kzonesign-p11-1t kzonesign-p11-2t; do
		ratio "sigil-hsm peak RSS / $p" "$(get rsss sigil-hsm)" "$(get rsss $p)" "<" 1
	done
	local k1 k2
	k1=$(get sigss kzonesign-p11-1t) k2=$(get sigss kzonesign-p11-2t)
	ratio "sigil-hsm sigs/s / kzonesign-p11-1t sigs/s" "$(get sigss sigil-hsm)" "$k1" ">=" 1.8
	ratio "sigil-hsm sigs/s / kzonesign-p11-2t sigs/s" "$(get sigss sigil-hsm)" "$k2" ">=" 1.8
	# The tokens' rate: with token objects, as a signer's keys are.  The
	# signing phase shows whether the engine keeps the tokens busy; over
	# the whole run the tokens (software, on the same 2 cores) also lose
	# the CPU time parsing, the gate and writing take.
	ratio "sigil-hsm-sample signing-phase rate / raw rate, token objects" "$(get srates sigil-hsm-sample)" "${combt:--}" ">=" 0.8
	ratio "sigil-hsm-sample signing-phase rate / raw rate, session objects (no target)" "$(get srates sigil-hsm-sample)" "${comb:--}" - -
	ratio "sigil-hsm-sample sigs/s whole run / raw rate, token objects (no target)" "$(get sigss sigil-hsm-sample)" "${combt:--}" - -
	ratio "sigil-hsm-sample sigs/s whole run / raw rate, session objects (no target)" "$(get sigss sigil-hsm-sample)" "${comb:--}" - -
	ratio "sigil-hsm signing-phase rate / raw rate, token objects (no target)" "$(get srates sigil-hsm)" "${combt:--}" - -
	ratio "sigil-hsm wall / kzonesign-p11-2t wall (no target)" "$(get walls sigil-hsm)" "$(get walls kzonesign-p11-2t)" - -
}
report | tee "$results"
say "results written to $results"

st=0
for t in sigil-soft sigil-soft-sample sigil-hsm sigil-hsm-sample; do
	[ "$(get rcs $t)" = 0 ] && [ "$(get valids $t)" = yes ] || st=3
done
exit $st
