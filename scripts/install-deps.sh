#!/bin/sh
# Install the Debian 12 packages that sigil needs to build, test and
# benchmark.  Safe to run any number of times.
#
#   sh scripts/install-deps.sh           install whatever is missing
#   sh scripts/install-deps.sh --check   exit 0 if everything is installed,
#                                        else 1 and list what is missing
#
# Installing needs root; as another user the script uses sudo.

set -eu

# build
PKGS="build-essential pkg-config libknot-dev libssl-dev libsqlite3-dev"
PKGS="$PKGS libp11-kit-dev libyaml-dev softhsm2"
# test drivers and helpers
PKGS="$PKGS perl python3 time clang-format"
# other DNSSEC implementations used as oracles and for comparison
PKGS="$PKGS bind9-utils bind9-dnsutils ldnsutils knot knot-dnssecutils"
PKGS="$PKGS validns unbound"

prog=${0##*/}

usage()
{
	echo "usage: $prog [--check]" >&2
	exit 2
}

check_only=false
case $# in
0) ;;
1)
	case $1 in
	--check) check_only=true ;;
	-h | --help)
		echo "usage: $prog [--check]"
		echo "Install the Debian packages sigil needs (--check: only report)."
		exit 0
		;;
	*) usage ;;
	esac
	;;
*) usage ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "$prog: dpkg-query not found: this script supports Debian 12" \
		"(install these packages by other means: $PKGS)" >&2
	exit 1
fi

# Prints the packages of the list that are not fully installed.
missing_pkgs()
{
	for p in $PKGS; do
		# One line per architecture for Multi-Arch: same packages.
		if ! dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null |
			grep -qx installed; then
			printf '%s\n' "$p"
		fi
	done
}

missing=$(missing_pkgs | tr '\n' ' ')
missing=${missing% }

if [ -z "$missing" ]; then
	$check_only || echo "$prog: all dependencies are installed"
	exit 0
fi

if $check_only; then
	echo "$prog: missing packages: $missing" >&2
	exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
	as_root=
elif command -v sudo >/dev/null 2>&1; then
	as_root=sudo
else
	echo "$prog: missing packages: $missing" >&2
	echo "$prog: installing them needs root, and sudo is not available;" \
		"run this script as root" >&2
	exit 1
fi

echo "$prog: installing: $missing"
DEBIAN_FRONTEND=noninteractive
export DEBIAN_FRONTEND
# sudo may drop the environment; pass the setting explicitly.
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is wanted
$as_root env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y --no-install-recommends $missing

still=$(missing_pkgs | tr '\n' ' ')
still=${still% }
if [ -n "$still" ]; then
	echo "$prog: still missing after apt-get: $still" >&2
	exit 1
fi
echo "$prog: all dependencies are installed"
