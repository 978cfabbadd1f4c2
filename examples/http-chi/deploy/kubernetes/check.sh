#!/usr/bin/env bash
# What CI's deploy job runs, and what to run before pushing a change here:
# kustomize builds every overlay, then kubeconform holds the output to the
# Kubernetes 1.33 API's schemas in strict mode (a misspelt or unknown
# field fails, as the API server would reject it) and the KEDA objects to
# KEDA's CRD schemas, vendored in schemas/ with their license. An object with
# no schema fails rather than passing unchecked. Then every Deployment's env
# is held to the resources it reads (schemas/resource-fields).
#
# Needs kustomize and kubeconform on PATH at the releases the CI job installs.
# KUBE_SCHEMAS replaces the schemas' base URL (a mirror laid out like
# yannh/kubernetes-json-schema, for a machine without internet access).
set -euo pipefail
cd "$(dirname "$0")"

# Without them, the first overlay failed on a bare "kustomize: command not
# found", naming neither the release nor how to get it.
missing=()
command -v kustomize >/dev/null || missing+=("go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.1")
command -v kubeconform >/dev/null || missing+=("go install github.com/yannh/kubeconform/cmd/kubeconform@v0.7.0")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "check.sh: needs kustomize 5.8.1 and kubeconform 0.7.0 on PATH, as CI's deploy job installs them; missing here, install with:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 2
fi

# One commit of the schema repository, never its moving master.
pinned="https://raw.githubusercontent.com/yannh/kubernetes-json-schema/8d21367eb974e6a9b6cfd19c6d2a209a962d7769"
base="${KUBE_SCHEMAS:-${pinned}}"
out=$(mktemp -d)
trap 'rm -rf "${out}"' EXIT

status=0
for overlay in overlays/*/; do
  name=$(basename "${overlay}")
  kustomize build "${overlay}" >"${out}/${name}.yaml"
  echo "${name}:"
  kubeconform -strict -summary -kubernetes-version "1.33.0" \
    -schema-location 'schemas/keda/{{ .ResourceKind }}.json' \
    -schema-location "${base}/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    "${out}/${name}.yaml" || status=1
  # A second pass the API server does not make: every request or limit a
  # container's env reads (resourceFieldRef, as the workers' CPU_BUDGET does) is set,
  # since the kubelet gives 0 for a missing request and the node's allocatable
  # for a missing limit (schemas/resource-fields; other kinds are not checked).
  if ! kubeconform -ignore-missing-schemas \
    -schema-location 'schemas/resource-fields/{{ .ResourceKind }}.json' "${out}/${name}.yaml"; then
    echo "check.sh: ${name}: a container's env reads a request or limit (resourceFieldRef) its resources do not set: set it again, or drop the env" >&2
    status=1
  fi
done
exit "${status}"
