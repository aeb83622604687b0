// Validate Kubernetes manifests against the OpenAPI schemas of a released
// Kubernetes (kubernetes-models from the npm registry: 4.5.1 is generated
// from Kubernetes v1.27.1, each model carrying its ajv validator).
//
//   node tests/manifests/validate.mjs FILE...
//
// Every YAML document with apiVersion and kind is checked against its
// kind's schema; documents without them (cloud-configs) are skipped.  Kinds
// no installed package describes (KMM's Module: no package ships KMM's CRD)
// get their metadata checked against ObjectMeta and are reported as such.
// Prints one line per finding; exits 1 when any document is invalid.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { ObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";

let bad = 0;
const say = (where, msg) => console.log(`${where}: ${msg}`);

async function model(apiVersion, kind) {
  // "apps/v1" -> kubernetes-models/apps/v1/DaemonSet, "v1" -> kubernetes-models/v1/ConfigMap
  if (!/^[a-z0-9.-]+(\/[a-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) return null;
  try {
    const m = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return m[kind] ?? null;
  } catch (e) {
    if (e.code === "ERR_MODULE_NOT_FOUND" || e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED") return null;
    throw e;
  }
}

function check(where, make, obj) {
  try {
    make(obj).validate();
    return true;
  } catch (e) {
    bad++;
    for (const err of e.errors ?? [e]) {
      const path = err.instancePath || "";
      say(where, `${path || "/"} ${err.message ?? err}${err.params ? " " + JSON.stringify(err.params) : ""}`);
    }
    return false;
  }
}

// What the API server's own validation rejects and no OpenAPI schema can
// say: a workload whose selector misses its template's labels, a mount of a
// volume the pod does not define.
function workloadRules(where, obj) {
  const spec = obj.spec ?? {};
  const sel = spec.selector?.matchLabels ?? {};
  const labels = spec.template?.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(sel)) {
    if (labels[k] !== v) {
      bad++;
      say(where, `/spec/selector: \`selector\` does not match template \`labels\` (${k}=${v})`);
    }
  }
  const pod = spec.template?.spec ?? {};
  const vols = new Set((pod.volumes ?? []).map((v) => v.name));
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    for (const m of c.volumeMounts ?? []) {
      if (!vols.has(m.name)) {
        bad++;
        say(where, `container ${c.name}: volumeMounts ${m.name}: not found among the pod's volumes`);
      }
    }
  }
}

for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const [i, doc] of docs.entries()) {
    const where = `${file}#${i}`;
    if (doc.errors.length) {
      bad++;
      say(where, `YAML: ${doc.errors[0].message}`);
      continue;
    }
    const obj = doc.toJS();
    if (!obj || typeof obj !== "object" || !("apiVersion" in obj)) continue;
    if (typeof obj.kind !== "string" || typeof obj.apiVersion !== "string") {
      bad++;
      say(where, "apiVersion and kind must be strings");
      continue;
    }
    const Model = await model(obj.apiVersion, obj.kind);
    if (Model) {
      const before = bad;
      if (check(where, (o) => new Model(o), obj) && obj.spec?.template) workloadRules(where, obj);
      if (bad === before) say(where, `${obj.apiVersion} ${obj.kind} valid (Kubernetes v1.27.1 schema)`);
    } else if (check(where, (o) => new ObjectMeta(o.metadata ?? {}), obj)) {
      if (obj.metadata?.name === undefined) {
        bad++;
        say(where, "metadata.name is missing");
      } else {
        say(where, `${obj.apiVersion} ${obj.kind}: no packaged schema, metadata valid (ObjectMeta)`);
      }
    }
  }
}
process.exit(bad ? 1 : 0);
