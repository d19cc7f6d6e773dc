{{/*
Names. The full name is the release name, or <release>-upsignon when the
release name does not contain the chart name; trimmed to 63 characters.
Suffixed names (…-migrate, …-rollback-sync) trim the base to 48.
*/}}
{{- define "upsignon.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "upsignon.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "upsignon.shortname" -}}
{{- include "upsignon.fullname" . | trunc 48 | trimSuffix "-" -}}
{{- end -}}

{{- define "upsignon.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Standard labels on every resource (each adds its own component). */}}
{{- define "upsignon.labels" -}}
helm.sh/chart: {{ include "upsignon.chart" . }}
app.kubernetes.io/name: {{ include "upsignon.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: upsignon
{{- end -}}

{{/*
Selector labels of the server pods (selectors are immutable: never change
them). The component is part of it so that the pods of the migration Jobs
and the backup CronJob (component migrations / backup) are never endpoints
of the Service nor counted by the PodDisruptionBudget.
*/}}
{{- define "upsignon.selectorLabels" -}}
app.kubernetes.io/name: {{ include "upsignon.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "upsignon.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "upsignon.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
ServiceAccount of the hook Jobs. They run before the chart's ServiceAccount
exists (pre-install), so they only use an explicitly named one: the one from
migrations.serviceAccountName, or an existing serviceAccount.name when the
chart creates none. Empty means the namespace's default ServiceAccount.
*/}}
{{- define "upsignon.hookServiceAccountName" -}}
{{- if .Values.migrations.serviceAccountName -}}
{{- .Values.migrations.serviceAccountName -}}
{{- else if and (not .Values.serviceAccount.create) .Values.serviceAccount.name -}}
{{- .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "upsignon.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/*
Checks the schema cannot express in a way that gives a readable message.
Included by every template that needs the database, so it fails early.
*/}}
{{- define "upsignon.validate" -}}
{{- if and .Values.database.url .Values.database.existingSecret -}}
{{- fail "database: set either database.existingSecret (recommended) or database.url, not both" -}}
{{- end -}}
{{- if not (or .Values.database.url .Values.database.existingSecret) -}}
{{- fail "database: the chart needs PostgreSQL; set database.existingSecret (a Secret whose key database.existingSecretKey holds postgres://USER:PASSWORD@HOST:5432/DB?sslmode=require) or database.url" -}}
{{- end -}}
{{- if and .Values.database.url (not (hasPrefix "postgres" .Values.database.url)) -}}
{{- fail "database.url must start with postgres:// or postgresql:// (SQLite is not for Kubernetes)" -}}
{{- end -}}
{{- if not .Values.secretsKey.existingSecret -}}
{{- fail "secretsKey.existingSecret is required: a Secret whose key secretsKey.existingSecretKey holds the 32-byte secrets key in base64 (create it once, keep a copy: docs/kubernetes.md)" -}}
{{- end -}}
{{- if and (eq .Values.tls.mode "files") (not .Values.tls.existingSecret) -}}
{{- fail "tls.mode=files needs tls.existingSecret: a kubernetes.io/tls Secret with tls.crt (full chain) and tls.key" -}}
{{- end -}}
{{- if and .Values.podDisruptionBudget.minAvailable .Values.podDisruptionBudget.maxUnavailable -}}
{{- fail "podDisruptionBudget: set minAvailable or maxUnavailable, not both" -}}
{{- end -}}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.token.existingSecret) -}}
{{- fail "metrics.serviceMonitor.enabled needs metrics.token.existingSecret: a Secret whose key metrics.token.key (default token) holds the metrics token (at least 32 characters, e.g. openssl rand -hex 32); without it /metrics answers 404 (docs/kubernetes.md, Monitoring)" -}}
{{- end -}}
{{- if .Values.metrics.token.existingSecret -}}
{{- range .Values.extraEnv -}}
{{- if eq (toString .name) "UPSIGNON_METRICS_TOKEN" -}}
{{- fail "UPSIGNON_METRICS_TOKEN is set by metrics.token.existingSecret: remove it from extraEnv" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if .Values.backup.enabled -}}
{{- if not .Values.backup.persistence.existingClaim -}}
{{- fail "backup.enabled needs backup.persistence.existingClaim: a PersistentVolumeClaim for the backup files" -}}
{{- end -}}
{{- if not .Values.backup.keySecret.name -}}
{{- fail "backup.enabled needs backup.keySecret.name: a Secret holding the 32-byte backup key" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The Secret the Deployment and CronJob read the database URL from. */}}
{{- define "upsignon.databaseSecretName" -}}
{{- if .Values.database.existingSecret -}}
{{- .Values.database.existingSecret -}}
{{- else -}}
{{- printf "%s-database" (include "upsignon.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "upsignon.databaseSecretKey" -}}
{{- if .Values.database.existingSecret -}}
{{- .Values.database.existingSecretKey -}}
{{- else -}}
database_url
{{- end -}}
{{- end -}}

{{/*
The Secret the hook Jobs read the database URL from. With existingSecret it
is that Secret (it exists before the release). With an inline database.url
it is a hook Secret (templates/hook-secret.yaml) created just before the
Jobs, because the release's own Secret does not exist yet at pre-install.
*/}}
{{- define "upsignon.hookDatabaseSecretName" -}}
{{- if .Values.database.existingSecret -}}
{{- .Values.database.existingSecret -}}
{{- else -}}
{{- printf "%s-hook-database" (include "upsignon.shortname" .) -}}
{{- end -}}
{{- end -}}

{{/*
Non-secret settings as UPSIGNON_* variables: a YAML map. The ConfigMap holds
it for the server pods; the hook Jobs get the very same map inline (they run
before the ConfigMap exists), so the two can never differ.
*/}}
{{- define "upsignon.configEnv" -}}
UPSIGNON_LISTEN: "0.0.0.0:8443"
UPSIGNON_STATE_DIR: "/var/lib/upsignon/state"
UPSIGNON_BACKUP_DIR: "/var/backups/upsignon"
UPSIGNON_MIGRATE_ON_START: "false"
UPSIGNON_LOG_FORMAT: {{ .Values.config.logFormat | quote }}
UPSIGNON_LOG_LEVEL: {{ .Values.config.logLevel | quote }}
UPSIGNON_DATABASE_POOL_SIZE: {{ .Values.database.poolSize | toString | quote }}
UPSIGNON_WORKERS: {{ .Values.config.workers | toString | quote }}
UPSIGNON_SHUTDOWN_TIMEOUT_SECS: {{ .Values.config.shutdownTimeoutSecs | toString | quote }}
UPSIGNON_REQUEST_TIMEOUT_SECS: {{ .Values.config.requestTimeoutSecs | toString | quote }}
UPSIGNON_BODY_LIMIT_BYTES: {{ .Values.config.bodyLimitBytes | int64 | toString | quote }}
UPSIGNON_TLS_MODE: {{ .Values.tls.mode | quote }}
{{- if eq .Values.tls.mode "files" }}
UPSIGNON_TLS_CERT: "/etc/upsignon/tls/tls.crt"
UPSIGNON_TLS_KEY: "/etc/upsignon/tls/tls.key"
{{- end }}
{{- with .Values.config.publicUrl }}
UPSIGNON_PUBLIC_URL: {{ . | quote }}
{{- end }}
{{- with .Values.config.trustedProxies }}
UPSIGNON_TRUSTED_PROXIES: {{ join "," . | quote }}
{{- end }}
{{- with .Values.config.smtpFrom }}
UPSIGNON_SMTP_FROM: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* Secret-backed variables shared by every upsignon container. */}}
{{- define "upsignon.secretEnv" -}}
{{- if .Values.smtp.existingSecret }}
- name: UPSIGNON_SMTP_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.smtp.existingSecret }}
      key: {{ .Values.smtp.existingSecretKey }}
{{- end }}
{{- if .Values.sentry.existingSecret }}
- name: UPSIGNON_SENTRY_DSN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.sentry.existingSecret }}
      key: {{ .Values.sentry.existingSecretKey }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The writable emptyDir volumes (read-only root filesystem). */}}
{{- define "upsignon.emptyDirVolumes" -}}
- name: state
  emptyDir:
    sizeLimit: {{ .Values.emptyDir.sizeLimit }}
    {{- with .Values.emptyDir.medium }}
    medium: {{ . }}
    {{- end }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.emptyDir.sizeLimit }}
    {{- with .Values.emptyDir.medium }}
    medium: {{ . }}
    {{- end }}
{{- end -}}

{{- define "upsignon.emptyDirMounts" -}}
- name: state
  mountPath: /var/lib/upsignon
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/*
The container spec of a one-shot upsignon command (hook Jobs), called with
(dict "root" $ "args" (list ...) "name" "migrate").
*/}}
{{- define "upsignon.hookPodSpec" -}}
{{- $root := .root -}}
automountServiceAccountToken: false
{{- with (include "upsignon.hookServiceAccountName" $root) }}
serviceAccountName: {{ . }}
{{- end }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
enableServiceLinks: false
restartPolicy: Never
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
containers:
  - name: {{ .name }}
    image: {{ include "upsignon.image" $root }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    command: ["upsignon"]
    args:
      {{- toYaml .args | nindent 6 }}
    env:
      {{- range $key, $value := (include "upsignon.configEnv" $root | fromYaml) }}
      - name: {{ $key }}
        value: {{ $value | toString | quote }}
      {{- end }}
      - name: UPSIGNON_DATABASE_URL
        valueFrom:
          secretKeyRef:
            name: {{ include "upsignon.hookDatabaseSecretName" $root }}
            key: {{ include "upsignon.databaseSecretKey" $root }}
      {{- with (include "upsignon.secretEnv" $root) }}
      {{- . | nindent 6 }}
      {{- end }}
    {{- with $root.Values.extraEnvFrom }}
    envFrom:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    securityContext:
      {{- toYaml $root.Values.securityContext | nindent 6 }}
    resources:
      {{- toYaml $root.Values.migrations.resources | nindent 6 }}
    volumeMounts:
      {{- include "upsignon.emptyDirMounts" $root | nindent 6 }}
volumes:
  {{- include "upsignon.emptyDirVolumes" $root | nindent 2 }}
{{- end -}}
