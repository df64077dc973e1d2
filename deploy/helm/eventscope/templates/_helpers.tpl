{{/* Name of the release's objects, at most 63 characters (a DNS label). */}}
{{- define "eventscope.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "eventscope.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: collector
{{- end -}}

{{- define "eventscope.labels" -}}
{{ include "eventscope.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Whether the pods use the PostgreSQL store. */}}
{{- define "eventscope.postgres" -}}
{{- if or .Values.postgres.url .Values.postgres.existingSecret }}true{{ end -}}
{{- end -}}

{{/* Refuses settings that cannot work, before anything reaches the cluster. */}}
{{- define "eventscope.validate" -}}
{{- $_ := required "kafka.brokers is required (comma-separated bootstrap servers)" .Values.kafka.brokers -}}
{{- if and (gt (int .Values.replicaCount) 1) (not (include "eventscope.postgres" .)) -}}
{{- fail "replicaCount > 1 needs postgres.url or postgres.existingSecret: several collectors share one PostgreSQL store (SQLite is one file per pod)" -}}
{{- end -}}
{{- if and .Values.postgres.url .Values.postgres.existingSecret -}}
{{- fail "set postgres.url or postgres.existingSecret, not both" -}}
{{- end -}}
{{- if not (has .Values.monitorElection (list "kafka" "off")) -}}
{{- fail (printf "monitorElection must be kafka or off, not %v" .Values.monitorElection) -}}
{{- end -}}
{{- $managed := list "KAFKA_BROKERS" "SCHEMA_REGISTRY_URL" "EVENTSCOPE_HOST" "EVENTSCOPE_PORT" "EVENTSCOPE_OTLP_PORT" "EVENTSCOPE_OTLP_GRPC_PORT" "EVENTSCOPE_DATA_DIR" "EVENTSCOPE_STORE" "EVENTSCOPE_MONITOR_ELECTION" "EVENTSCOPE_POSTGRES_URL" -}}
{{- range $k, $v := merge (dict) .Values.env .Values.secretEnv -}}
{{- if not (regexMatch "^[A-Z_][A-Z0-9_]*$" $k) -}}
{{- fail (printf "env/secretEnv: %q is not an environment variable name" $k) -}}
{{- end -}}
{{- if has $k $managed -}}
{{- fail (printf "env/secretEnv: %s is set by the chart from its own values (kafka, service, postgres, monitorElection)" $k) -}}
{{- end -}}
{{- if and (hasKey $.Values.env $k) (hasKey $.Values.secretEnv $k) -}}
{{- fail (printf "%s is in both env and secretEnv" $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}
