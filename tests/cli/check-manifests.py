#!/usr/bin/python3
"""Validate contrib/ manifests: YAML parses, and the Kubernetes objects
carry what the API server requires of their kind (a structural check of
the fields ctmod's manifests use; no cluster is needed)."""
import sys
import yaml

errors = []


def need(obj, path, where):
    cur = obj
    for key in path.split("."):
        if isinstance(cur, list):
            cur = cur[int(key)] if key.isdigit() and int(key) < len(cur) else None
        elif isinstance(cur, dict):
            cur = cur.get(key)
        else:
            cur = None
        if cur is None:
            errors.append(f"{where}: missing {path}")
            return None
    return cur


def check_pod_spec(spec, where):
    names = {v["name"] for v in spec.get("volumes", [])}
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        for f in ("name", "image"):
            if f not in c:
                errors.append(f"{where}: container without {f}")
        for m in c.get("volumeMounts", []):
            if m.get("name") not in names:
                errors.append(f"{where}: mount of undefined volume {m.get('name')}")


for path in sys.argv[1:]:
    with open(path) as f:
        try:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            errors.append(f"{path}: {e}")
            continue
    for i, d in enumerate(docs):
        where = f"{path}#{i}"
        if "apiVersion" not in d:  # a cloud-config, not a Kubernetes object
            continue
        for p in ("apiVersion", "kind", "metadata.name"):
            need(d, p, where)
        kind = d.get("kind")
        if kind == "DaemonSet":
            sel = need(d, "spec.selector.matchLabels", where) or {}
            labels = need(d, "spec.template.metadata.labels", where) or {}
            if any(labels.get(k) != v for k, v in sel.items()):
                errors.append(f"{where}: selector does not match the template labels")
            spec = need(d, "spec.template.spec", where)
            if spec:
                check_pod_spec(spec, where)
                paths = {v.get("hostPath", {}).get("path") for v in spec.get("volumes", [])}
                # the gate agent loads the node's modules and never builds:
                # it needs /run (its socket), not /usr/src
                agent = any("gate" in (c.get("command") or []) for c in spec.get("containers", []))
                for p in ("/lib/modules", "/run") if agent else ("/lib/modules", "/usr/src"):
                    if p not in paths:
                        errors.append(f"{where}: {p} is not mounted from the host")
        elif kind == "Module":
            if not d["apiVersion"].startswith("kmm.sigs.x-k8s.io/"):
                errors.append(f"{where}: Module is not a KMM resource")
            need(d, "spec.moduleLoader.container.modprobe.moduleName", where)
            maps = need(d, "spec.moduleLoader.container.kernelMappings", where) or []
            for m in maps:
                if not ("regexp" in m or "literal" in m) or "containerImage" not in m:
                    errors.append(f"{where}: kernelMapping needs regexp|literal and containerImage")
            need(d, "spec.selector", where)
        elif kind == "ConfigMap":
            need(d, "data", where)

for e in errors:
    print(e)
sys.exit(1 if errors else 0)
