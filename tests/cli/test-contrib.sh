#!/bin/sh
# contrib/: manifests and examples are valid YAML (yamllint) and the
# Kubernetes objects are well-formed for their kind; systemd units parse.
. "$(dirname "$0")/../lib.sh"

for f in $(find "$TOP/contrib" -name '*.yml' -o -name '*.yaml' | sort); do
	rel=${f#"$TOP"/}
	if out=$(yamllint -d '{extends: relaxed, rules: {line-length: {max: 120}}}' "$f" 2>&1); then
		pass "yamllint $rel"
	else
		fail "yamllint $rel"
		printf '%s\n' "$out" | head -5
	fi
	if out=$(/usr/bin/python3 "$TOP/tests/cli/check-manifests.py" "$f" 2>&1); then
		pass "manifest structure $rel"
	else
		fail "manifest structure $rel"
		printf '%s\n' "$out" | head -5
	fi
done

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
