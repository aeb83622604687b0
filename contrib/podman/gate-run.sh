#!/bin/sh
# Run IMAGE COMMAND... with podman so that its finit_module() goes to the
# ctmod gate agent on /run/ctmod-gate.sock, narrowed to MODULES:
#   contrib/podman/gate-run.sh overlay,nft_log IMAGE COMMAND...
# The profile starts from podman's own default when it is installed.
set -eu
modules=$1
shift
profile=$(mktemp /tmp/ctmod-gate-profile.XXXXXX)
trap 'rm -f "$profile"' EXIT
base=/usr/share/containers/seccomp.json
if [ -f "$base" ]; then
	ctmod gate profile --format docker --metadata "allow=$modules" --base "$base" >"$profile"
else
	ctmod gate profile --format docker --metadata "allow=$modules" >"$profile"
fi
podman run --rm --security-opt seccomp="$profile" "$@"
