{{/*
Chart name, overridable with nameOverride.
*/}}
{{- define "kspan.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name: <release>-<chart> unless the release name already contains the chart name.
*/}}
{{- define "kspan.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kspan.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kspan.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kspan.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kspan.labels" -}}
helm.sh/chart: {{ include "kspan.chart" . }}
{{ include "kspan.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kspan
{{- end }}

{{- define "kspan.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kspan.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: a digest pins it; otherwise the tag, defaulting to the chart's appVersion.
*/}}
{{- define "kspan.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
"true" when leader election is on: always with more than one replica.
*/}}
{{- define "kspan.leaderElect" -}}
{{- if or .Values.operator.leaderElection.enabled (gt (int .Values.replicaCount) 1) }}true{{ end }}
{{- end }}

{{- define "kspan.leaderElectionId" -}}
{{- default (printf "%s-leader" (include "kspan.fullname" .)) .Values.operator.leaderElection.id }}
{{- end }}

{{/*
Namespaces whose TraceCollectors are managed: operator.watchNamespaces, else rbac.namespaces.
*/}}
{{- define "kspan.watchNamespaces" -}}
{{- join "," (default .Values.rbac.namespaces .Values.operator.watchNamespaces) }}
{{- end }}

{{/*
The RBAC rules of files/rbac-rules.yaml, as a dict of rule lists.
*/}}
{{- define "kspan.rbacRules" -}}
{{- .Files.Get "files/rbac-rules.yaml" }}
{{- end }}

{{/*
Namespaced rules: the workload and TraceCollector rules, the owner kinds added in values, and the
Secret rule unless rbac.secretNamespaces scopes it separately.
*/}}
{{- define "kspan.namespacedRules" -}}
{{- $rules := include "kspan.rbacRules" . | fromYaml }}
{{- $namespaced := $rules.namespaced }}
{{- range .Values.rbac.extraOwnerKinds }}
{{- $namespaced = append $namespaced (dict "apiGroups" (list .apiGroup) "resources" .resources "verbs" (list "get" "list" "watch")) }}
{{- end }}
{{- if not .Values.rbac.secretNamespaces }}
{{- $namespaced = concat $namespaced $rules.secrets }}
{{- end }}
{{- toYaml $namespaced }}
{{- end }}

{{/*
RBAC subjects: the operator's ServiceAccount. Takes the root context.
*/}}
{{- define "kspan.subjects" -}}
- kind: ServiceAccount
  name: {{ include "kspan.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}
