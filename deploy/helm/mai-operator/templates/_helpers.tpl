{{/*
The objects' name: the release name, or <release>-mai-operator when it does not say mai-operator; at most
55 characters, so that the metrics Service's <name>-metrics is still a DNS label (63).
*/}}
{{- define "mai-operator.fullname" -}}
{{- if contains "mai-operator" .Release.Name -}}
{{- .Release.Name | trunc 55 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-mai-operator" .Release.Name | trunc 55 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object; the first two are those of deploy/. */}}
{{- define "mai-operator.labels" -}}
app.kubernetes.io/name: mai-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The operator's pods: deploy/'s two labels, and the release so that two installations never select each other's pods. */}}
{{- define "mai-operator.selectorLabels" -}}
app.kubernetes.io/name: mai-operator
app.kubernetes.io/component: operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mai-operator.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* What the operator does to MaiClients and what they own: in its ClusterRole, or in a Role per watched namespace. */}}
{{- define "mai-operator.tenantRules" -}}
- apiGroups: [mai.dev]
  resources: [maiclients]
  verbs: [get, list, watch, patch]
- apiGroups: [mai.dev]
  resources: [maiclients/status]
  verbs: [update]
- apiGroups: [mai.dev]
  resources: [maiclients/finalizers]
  verbs: [update]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
- apiGroups: [""]
  resources: [services]
  verbs: [list, watch, create, update, delete]
- apiGroups: [""]
  resources: [persistentvolumeclaims]
  verbs: [list, watch, create, delete]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, update, delete]
- apiGroups: [apps]
  resources: [statefulsets]
  verbs: [get, list, watch, update]
{{- end -}}

{{/*
An upgrade must not change the installation id of a running installation: the new pods would lead a
Lease of their own next to the old pods, and the keys of the old id would no longer be this
installation's. On the cluster (lookup is empty under helm template), the id of the release's running
Deployment (its MAI_INSTALLATION_ID, else the ConfigMap the operator generated it into) must equal the
id the new release gives it. allowInstallationIdChange lets it through, on purpose.
*/}}
{{- define "mai-operator.checkInstallationId" -}}
{{- $deployment := lookup "apps/v1" "Deployment" .Release.Namespace (include "mai-operator.fullname" .) -}}
{{- if and $deployment (not .Values.allowInstallationIdChange) -}}
{{- $generated := dig "data" "installation-id" "" (lookup "v1" "ConfigMap" .Release.Namespace "mai-operator-installation") -}}
{{- $current := $generated -}}
{{- range $container := $deployment.spec.template.spec.containers -}}
{{- range $env := (default (list) $container.env) -}}
{{- if eq $env.name "MAI_INSTALLATION_ID" -}}{{- $current = $env.value -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- $next := default $generated .Values.installationId -}}
{{- if and $current (ne $current $next) -}}
{{- fail (printf "installationId: the running installation's id is %q, this release would make it %q. Keys carry the id: the operator would no longer treat the old id's keys as its own, and old and new pods would both lead during the rollout. Keep the id (leave installationId as it was installed), or see docs/install.md (With Helm, \"The installation id\"); allowInstallationIdChange=true overrides this check" $current $next) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Cluster-scoped names come from the release name alone: a second release of the same name in another
namespace would take over the first one's ClusterRoleBinding (with --take-ownership, silently) and leave
the first installation without its permissions. On the cluster (lookup is empty under helm template), a
binding of that name for a ServiceAccount of another namespace stops the render.
*/}}
{{- define "mai-operator.checkClusterNames" -}}
{{- $name := include "mai-operator.fullname" . -}}
{{- range $binding := list $name (printf "%s-namespaces" $name) -}}
{{- $existing := lookup "rbac.authorization.k8s.io/v1" "ClusterRoleBinding" "" $binding -}}
{{- range $subject := (dig "subjects" (list) $existing) -}}
{{- if and (eq $subject.kind "ServiceAccount") (ne $subject.namespace $.Release.Namespace) -}}
{{- fail (printf "ClusterRoleBinding %s belongs to the installation in namespace %s: give this release another name (its cluster-wide objects are named after the release)" $binding $subject.namespace) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
