#!/bin/bash
# fetch-tpt-1x.sh: fetch Debian 13's thin-provisioning-tools 1.1.0 and the libraries its
# pdata_tools loads (Debian 13's glibc, libgcc, libudev), unpacked (never installed) into a cache
# directory, so that src/tools/thin-tools-1x.test.ts can compare the lab with the real 1.1.0 on a
# Debian 12 machine. The apt sources are this machine's own Debian mirror with the suite changed
# to trixie, in a private directory: the machine's own apt state is not touched.
#
# usage: scripts/fetch-tpt-1x.sh [DIR]   (default: $THINLAB_TPT1X_DIR, else ~/.cache/thinlab/tpt-1.1.0)
# The tests look there (src/tools/real-tools-1x.ts) and skip, saying why, when it is absent.
set -euo pipefail
DIR=${1:-${THINLAB_TPT1X_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/thinlab/tpt-1.1.0}}
PACKAGES="thin-provisioning-tools libc6 libgcc-s1 libudev1"

if [ -x "$DIR/usr/sbin/pdata_tools" ] && [ -e "$DIR/.ready" ]; then
  echo "fetch-tpt-1x: already in $DIR"
  exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || {
  echo "fetch-tpt-1x: needs apt-get and dpkg-deb (a Debian or Ubuntu machine)" >&2
  exit 2
}
uri=$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null | grep -v -- '-security' | head -1 || true)
if [ -z "$uri" ]; then
  apt-get update -qq >&2
  uri=$(apt-get indextargets --format '$(REPO_URI)' | grep -v -- '-security' | head -1)
fi
case "$uri" in
  *debian*) ;;
  *) uri=http://deb.debian.org/debian/ ;; # an Ubuntu mirror has no trixie
esac

APT=$(mktemp -d)
trap 'rm -rf "$APT"' EXIT
mkdir -p "$APT/lists/partial" "$APT/archives/partial" "$APT/debs"
echo "deb $uri trixie main" > "$APT/sources.list"
A=(-o Dir::Etc::sourcelist="$APT/sources.list" -o Dir::Etc::sourceparts=/nonexistent
   -o Dir::State::Lists="$APT/lists" -o Dir::Cache::archives="$APT/archives" -o APT::Sandbox::User=root)
echo "fetch-tpt-1x: fetching $PACKAGES from $uri trixie" >&2
apt-get "${A[@]}" update -qq >&2
(cd "$APT/debs" && apt-get "${A[@]}" download $PACKAGES >&2)

rm -rf "$DIR.partial"
mkdir -p "$DIR.partial"
for deb in "$APT"/debs/*.deb; do dpkg-deb -x "$deb" "$DIR.partial"; done
LIBS="$DIR.partial/usr/lib/x86_64-linux-gnu"
version=$("$LIBS/ld-linux-x86-64.so.2" --library-path "$LIBS" --argv0 thin_check "$DIR.partial/usr/sbin/pdata_tools" -V)
[ "$version" = 1.1.0 ] || { echo "fetch-tpt-1x: trixie's thin_check says '$version', not 1.1.0" >&2; exit 1; }
touch "$DIR.partial/.ready"
rm -rf "$DIR"
mv "$DIR.partial" "$DIR"
echo "fetch-tpt-1x: thin-provisioning-tools $version in $DIR"
