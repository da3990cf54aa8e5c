#!/bin/sh
# sigil demo: the main job on the embedded default, end to end.
#
#   sh scripts/demo.sh BINARY        (make demo runs it with build/sigil)
#
# 1. generate a TLD-like zone (2000 delegations, some secure);
# 2. create a KSK and a ZSK (ECDSA P-256) with dnssec-keygen;
# 3. sign with BIND's dnssec-signzone: NSEC3 with opt-out, SHA-1,
#    0 extra iterations, no salt (RFC 9276);
# 4. check the signed zone with `sigil verify` (must be valid);
# 5. corrupt one signature (the RRSIG over one delegation's DS) in a copy
#    and check again: sigil must report it (exit status 1);
# 6. the multi-HSM test bed: three SoftHSM2 tokens over two sites
#    (`sigil testbed`), the shared key-encryption key (`sigil hsm enroll`),
#    a KSK and a ZSK generated once and replicated to all three with proof
#    of possession (`sigil keys generate`), then `sigil hsm list`,
#    `sigil keys list` and `sigil keys check`;
# 7. sign the shipped example zone (docs/examples/example.zone) with
#    those keys over the three HSMs, NSEC3 with opt-out (`sigil sign`:
#    every signature verified when made, the whole zone checked before it
#    is written), and check the output with `sigil verify`; both reports
#    are printed.
#
# Exits 0 when every step behaved as expected.  All files live in a
# temporary directory that is removed at the end.

set -eu

prog=${0##*/}
ORIGIN=example.
DELEGATIONS=2000

die()
{
	echo "$prog: $*" >&2
	exit 1
}

heading()
{
	printf '\n==> %s\n' "$*"
}

[ $# -eq 1 ] || {
	echo "usage: $prog BINARY" >&2
	exit 2
}

# Absolute paths: the work happens in a temporary directory.
root=$(cd "$(dirname "$0")/.." && pwd)
case $1 in
/*) sigil=$1 ;;
*) sigil=$(pwd)/$1 ;;
esac
[ -x "$sigil" ] || die "$1: not an executable file (run make first)"

for tool in dnssec-keygen dnssec-signzone dnssec-dsfromkey; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found (sh scripts/install-deps.sh installs it)"
done

# The zone generator (a shell wrapper that compiles bench/gen-tld-zone.c
# on first use); SIGIL_GEN_TLD_ZONE overrides it.
gen=${SIGIL_GEN_TLD_ZONE:-$root/bench/gen-tld-zone}
if [ -x "$gen" ]; then
	gen_run=
elif [ -f "$gen" ]; then
	gen_run="sh"
else
	die "$gen: zone generator not found"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sigil-demo.XXXXXX")
cleanup()
{
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$work"

heading "Generating a TLD-like zone: $ORIGIN with $DELEGATIONS delegations"
$gen_run "$gen" --origin "$ORIGIN" --delegations "$DELEGATIONS" >unsigned.zone
echo "unsigned.zone: $(wc -l <unsigned.zone | tr -d ' ') lines," \
	"$(grep -c '[[:space:]]DS[[:space:]]' unsigned.zone || true) DS records"

heading "Creating keys: KSK and ZSK, ECDSAP256SHA256 (algorithm 13)"
mkdir keys
ksk=$(dnssec-keygen -q -K keys -a ECDSAP256SHA256 -f KSK "$ORIGIN")
zsk=$(dnssec-keygen -q -K keys -a ECDSAP256SHA256 "$ORIGIN")
echo "KSK: $ksk"
echo "ZSK: $zsk"
# The DS records the parent (the root, for a TLD) would publish.
dnssec-dsfromkey -2 "keys/$ksk.key" >parent-ds
echo "parent DS: $(cat parent-ds)"

heading "Signing with dnssec-signzone:" \
	"NSEC3, opt-out, SHA-1, 0 iterations, no salt"
dnssec-signzone -q -S -K keys -3 - -A -H 0 -o "$ORIGIN" \
	-f signed.zone unsigned.zone >/dev/null
# an RRSIG record: the type, then type covered, algorithm, labels, TTL
echo "signed.zone: $(wc -l <signed.zone | tr -d ' ') lines," \
	"$(grep -cE 'RRSIG[[:space:]]+[A-Z0-9]+[[:space:]]+[0-9]+[[:space:]]+[0-9]+[[:space:]]+[0-9]+' signed.zone || true) RRSIG records"

heading "Verifying the signed zone: $1 verify --ds parent-ds signed.zone"
status=0
"$sigil" verify --ds parent-ds signed.zone || status=$?
[ "$status" -eq 0 ] ||
	die "sigil verify rejected the correctly signed zone (exit status $status)"
echo "(exit status 0: the zone is valid)"

heading "Corrupting one signature: the RRSIG over one delegation's DS"
# Changes one base64 character of the signature field of the first RRSIG
# that covers a DS.  Works with BIND's multi-line output (owner names left
# out after the first record of a name, RDATA split over lines in
# parentheses) and with one record per line.  Tokens of the RRSIG RDATA:
# type covered, algorithm, labels, original TTL, expiration, inception,
# key tag, signer name, then the signature.
awk -v info=corrupted.txt '
function flip(c) { return c == "A" ? "B" : "A" }
{
	line = $0
	if (line ~ /^[^ \t;]/)
		owner = $1
	first = 1
	if (!done && !in_sig) {
		for (i = 1; i < NF; i++) {
			if (substr($i, 1, 1) == ";")
				break
			if ($i == "RRSIG" && $(i + 1) == "DS") {
				in_sig = 1
				ntok = 0
				first = i + 1
				break
			}
		}
	}
	for (i = first; in_sig && i <= NF; i++) {
		if (substr($i, 1, 1) == ";")
			break
		if ($i == "(" || $i == ")")
			continue
		ntok++
		if (ntok == 7)
			keytag = $i
		if (ntok == 9) {
			tok = $i
			pos = int(length(tok) / 2)
			c = substr(tok, pos, 1)
			bad = substr(tok, 1, pos - 1) flip(c) substr(tok, pos + 1)
			at = index(line, tok)
			line = substr(line, 1, at - 1) bad \
			       substr(line, at + length(tok))
			printf "%s DS: RRSIG by key %s, character %d of the" \
			       " signature changed from %s to %s\n", \
			       owner, keytag, pos, c, flip(c) >info
			done = 1
			in_sig = 0
		}
	}
	print line
}
END { if (!done) exit 3 }
' signed.zone >corrupted.zone || die "found no RRSIG over a DS to corrupt"
cat corrupted.txt
echo "diff signed.zone corrupted.zone:"
diff signed.zone corrupted.zone || true

heading "Verifying the corrupted copy: $1 verify --ds parent-ds corrupted.zone"
status=0
"$sigil" verify --ds parent-ds corrupted.zone || status=$?
case $status in
1) echo "(exit status 1: DNSSEC errors found, as expected)" ;;
0) die "sigil verify accepted the corrupted zone" ;;
*) die "sigil verify failed on the corrupted zone (exit status $status)" ;;
esac

heading "Multi-HSM test bed: $1 testbed testbed (3 HSMs over 2 sites)"
"$sigil" testbed testbed || die "sigil testbed failed"
SOFTHSM2_CONF=$work/testbed/softhsm2.conf
export SOFTHSM2_CONF
conf=testbed/sigil.conf

heading "Enrolling the HSMs: $1 hsm enroll -c $conf"
"$sigil" hsm enroll -c "$conf" || die "sigil hsm enroll failed"

heading "Generating a KSK and a ZSK for $ORIGIN on every HSM"
"$sigil" keys generate -c "$conf" --role ksk "$ORIGIN" ||
	die "sigil keys generate --role ksk failed"
"$sigil" keys generate -c "$conf" --role zsk "$ORIGIN" ||
	die "sigil keys generate --role zsk failed"

heading "$1 hsm list -c $conf"
"$sigil" hsm list -c "$conf" || die "sigil hsm list found a problem"

heading "$1 keys list -c $conf $ORIGIN"
"$sigil" keys list -c "$conf" "$ORIGIN" || die "sigil keys list failed"

heading "$1 keys check -c $conf: possession proven again on every HSM"
"$sigil" keys check -c "$conf" "$ORIGIN" || die "sigil keys check found a problem"

heading "$1 keys dnskey / ds -c $conf $ORIGIN"
"$sigil" keys dnskey -c "$conf" "$ORIGIN" || die "sigil keys dnskey failed"
"$sigil" keys ds -c "$conf" "$ORIGIN" || die "sigil keys ds failed"

heading "Signing the example zone with the three HSMs:" \
	"$1 sign -c $conf example.zone -o example.signed --nsec3 --opt-out"
cp "$root/docs/examples/example.zone" example.zone
"$sigil" sign -c "$conf" example.zone -o example.signed --nsec3 --opt-out ||
	die "sigil sign failed"
echo "example.signed: $(wc -l <example.signed | tr -d ' ') records"

heading "Verifying the signed example zone: $1 verify example.signed"
"$sigil" verify example.signed ||
	die "sigil verify rejected the zone sigil signed"

heading "Demo finished: the valid zone passed," \
	"the corrupted signature was caught," \
	"the keys are proven on all three HSMs," \
	"and the example zone was signed over them and verified"
