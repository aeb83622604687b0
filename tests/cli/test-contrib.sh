#!/bin/sh
# contrib/: manifests and examples are valid YAML (yamllint); the Kubernetes
# objects validate against the Kubernetes API's OpenAPI schemas
# (tests/manifests: kubernetes-models from the npm registry, pinned by its
# package-lock.json); the images and paths they name are ctmod's own; the
# cloud-configs are read by ctmod autoload; systemd units parse.
. "$(dirname "$0")/../lib.sh"

for f in $(find "$TOP/contrib" -name '*.yml' -o -name '*.yaml' | sort); do
	rel=${f#"$TOP"/}
	if out=$(yamllint -d '{extends: relaxed, rules: {line-length: {max: 120}}}' "$f" 2>&1); then
		pass "yamllint $rel"
	else
		fail "yamllint $rel"
		printf '%s\n' "$out" | head -5
	fi
done

# the validator, installed from the lock file once (again when it changes)
M=$TOP/tests/manifests
lock=$(sha256sum "$M/package-lock.json" | cut -c1-16)
if [ "$(cat "$M/node_modules/.ctmod-lock" 2>/dev/null)" != "$lock" ]; then
	if ! command -v npm >/dev/null; then
		fail "manifest validator: npm is missing (scripts/deps installs nodejs and npm)"
	elif (cd "$M" && npm ci --no-audit --no-fund --loglevel=error >"$T_TMP/npm.log" 2>&1); then
		echo "$lock" >"$M/node_modules/.ctmod-lock"
	else
		fail "manifest validator: npm ci in tests/manifests"
		tail -5 "$T_TMP/npm.log"
	fi
fi
if [ -f "$M/node_modules/.ctmod-lock" ]; then
	# every Kubernetes object of contrib/kubernetes and contrib/kmm, whatever its file name
	for f in $(find "$TOP/contrib/kubernetes" "$TOP/contrib/kmm" -name '*.yml' -o -name '*.yaml' | sort); do
		rel=${f#"$TOP"/}
		run node "$M/validate.mjs" "$f"
		if [ "$RC" = 0 ] && [ -n "$OUT" ]; then
			pass "Kubernetes schema: $rel ($(printf '%s\n' "$OUT" | sed 's/^[^ ]* //' | tr '\n' ';' | sed 's/;$//'))"
		else
			fail "Kubernetes schema: $rel"
			show
		fi
	done
	# the validator itself rejects what the API server would
	sed -e 's/^\( *\)image: .*/\1image: 3/' "$TOP/contrib/kubernetes/daemonset.yaml" >"$T_TMP/bad-type.yaml"
	run node "$M/validate.mjs" "$T_TMP/bad-type.yaml"
	expect "validator rejects a non-string image" 1 "containers/0/image must be string"
	sed -e 's/^\( *\)containers:$/\1containerz:/' "$TOP/contrib/kubernetes/daemonset.yaml" >"$T_TMP/bad-req.yaml"
	run node "$M/validate.mjs" "$T_TMP/bad-req.yaml"
	expect "validator rejects a pod without containers" 1 "must have required property containers"
	awk '/- name: config$/ && !done {sub(/config/, "konfig"); done=1} {print}' \
		"$TOP/contrib/kubernetes/daemonset.yaml" >"$T_TMP/bad-mount.yaml"
	run node "$M/validate.mjs" "$T_TMP/bad-mount.yaml"
	expect "validator rejects a mount of an undefined volume" 1 "volumeMounts konfig: not found"
fi

# every image a contrib file names is one this repository builds
imgs=$( (grep -rhE '^ *-? *(image|containerImage): ' "$TOP/contrib" | sed -E 's/^[^:]*: *//'
	grep -rhE '^(FROM [^$]|ARG [A-Z_]*(IMAGE|DEBIAN|BASE)=[^$])' "$TOP/contrib" | sed -E 's/^FROM //; s/^ARG [A-Z_]*=//; s/ .*//') |
	tr -d '"' | sort -u)
bad=$(printf '%s\n' "$imgs" | grep -vE '^(localhost/ctmod:latest|localhost/ctmod-kmm/[a-z0-9]+:\$\{KERNEL_FULL_VERSION\}|docker.io/library/debian:bookworm)$' || true)
check "contrib names only ctmod's own images ($(echo $imgs))" test -z "$bad"
[ -z "$bad" ] || echo "    other images: $bad"

# the cloud-config examples are accepted by ctmod autoload itself
R="$T_TMP/root"
mkdir -p "$R/lib/modules/6.1.0-99-amd64"
: >"$R/lib/modules/6.1.0-99-amd64/modules.dep"
for f in "$TOP"/contrib/cloud-config/*.yml; do
	ctmod -d "$R" autoload --list --source cloud-config --cloud-config "$f"
	expect "autoload --list reads $(basename "$f")" 0
done

for u in $(find "$TOP/contrib" -name '*.service' | sort); do
	if grep -q '^ExecStart=' "$u" && grep -q '^\[Install\]' "$u"; then
		pass "unit $(basename "$u") has ExecStart and [Install]"
	else
		fail "unit $(basename "$u") has ExecStart and [Install]"
	fi
done
grep -q 'KERNEL_FULL_VERSION' "$TOP/contrib/kmm/Containerfile" &&
	pass "KMM Containerfile takes KERNEL_FULL_VERSION" || fail "KMM Containerfile takes KERNEL_FULL_VERSION"
exit 0
