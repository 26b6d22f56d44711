{{/* The objects' name: the release name, or <release>-mai-operator when it does not say mai-operator. */}}
{{- define "mai-operator.fullname" -}}
{{- if contains "mai-operator" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-mai-operator" .Release.Name | trunc 63 | trimSuffix "-" -}}
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
