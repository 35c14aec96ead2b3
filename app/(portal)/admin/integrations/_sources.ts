// The webhook sources Pier takes, as an admin connects them: where each tool sends, how it proves itself, and what to
// switch on in its UI. The secret kinds are server/ingest/webhook-secrets.ts WEBHOOK_KINDS.
export const WEBHOOK_SOURCE_GUIDES = [
  {
    source: "github",
    kind: "github_webhook",
    label: "GitHub",
    path: "/api/webhooks/github",
    auth: "Signed with X-Hub-Signature-256: paste a GitHub secret below as the webhook's Secret.",
    enable: "Events: Deployment statuses, Pushes, Pull requests, Workflow runs. Content type JSON or form.",
  },
  {
    source: "pagerduty",
    kind: "pagerduty_webhook",
    label: "PagerDuty",
    path: "/api/webhooks/pagerduty",
    auth: "Signed with X-PagerDuty-Signature: add the subscription's signing secret below.",
    enable: "A v3 webhook subscription with the incident events (triggered, acknowledged, resolved, reopened, priority updated).",
  },
  {
    source: "gitlab",
    kind: "gitlab_webhook",
    label: "GitLab",
    path: "/api/webhooks/gitlab",
    auth: "X-Gitlab-Token: paste a GitLab secret below as the hook's Secret token.",
    enable:
      "Triggers: Push events (default branch), Merge request events, Pipeline events, Job events, Deployment events. Projects map to services by the gitlab.com/project-slug annotation, else by name.",
  },
  {
    source: "argocd",
    kind: "argocd_webhook",
    label: "Argo CD",
    path: "/api/webhooks/argocd",
    auth: "Authorization: Bearer <an Argo CD secret below>, set in the webhook service's headers.",
    enable:
      'Paste deploy/integrations/argocd-notifications-cm.yaml into argocd-notifications-cm and annotate Applications notifications.argoproj.io/subscribe.pier: "" (on-deployed, on-sync-succeeded, on-sync-failed, on-health-degraded).',
  },
  {
    source: "terraform",
    kind: "terraform_webhook",
    label: "HCP Terraform / Terraform Enterprise",
    path: "/api/webhooks/terraform",
    auth: "X-TFE-Notification-Signature: use a Terraform secret below as the notification's Token.",
    enable:
      'Workspace → Settings → Notifications → Webhook, triggers Created, Planning, Needs attention, Applying, Completed, Errored. Workspaces map by the terraform/workspace annotation; "<name>-prod" lands on prod; annotate a service pier.dev/terraform-runs-are-deployments: "true" to count its applies as deployments.',
  },
  {
    source: "jenkins",
    kind: "jenkins_webhook",
    label: "Jenkins",
    path: "/api/webhooks/jenkins",
    auth: "The Notification plugin cannot set headers: end its URL with ?token=<a Jenkins secret below> (keep the URL as a Secret text credential).",
    enable:
      'Notification plugin: format JSON, protocol HTTP, event All. Jobs map by the jenkins.io/job-full-name annotation, else by name; a service annotated pier.dev/jenkins-deploy-jobs: "<job full name>=<environment>" gets a deployment per finished build of that job. The CDEvents plugin posts to /api/events/cdevents?token=<integration token>.',
  },
  {
    source: "jira",
    kind: "jira_webhook",
    label: "Jira",
    path: "/api/webhooks/jira",
    auth: "Jira Cloud: paste a Jira secret below as the webhook's Secret (X-Hub-Signature). Jira Data Center signs nothing: end the URL with ?token=<secret>.",
    enable:
      "System → WebHooks: Issue created, updated, deleted. Issues of the types in PIER_JIRA_INCIDENT_ISSUE_TYPES (default Incident) are incidents, on the service annotated jira/project-key; every issue's status shows on deployment requests naming it.",
  },
  {
    source: "unleash",
    kind: "unleash_webhook",
    label: "Unleash",
    path: "/api/webhooks/unleash",
    auth: "The Webhook addon signs nothing: set its Authorization parameter to Bearer <an Unleash secret below>.",
    enable:
      "Integrations → Webhook, body template empty (the event as JSON), events feature-environment-enabled/-disabled, feature-strategy-*, feature-created, feature-archived. Projects map to services by the unleash/project annotation, else by name.",
  },
  {
    source: "launchdarkly",
    kind: "launchdarkly_webhook",
    label: "LaunchDarkly",
    path: "/api/webhooks/launchdarkly",
    auth: "X-LD-Signature: tick “Sign this webhook” and paste its secret below as a LaunchDarkly secret.",
    enable:
      'Integrations → Webhooks, policy resources "proj/*:env/*:flag/*" (flag changes only). Projects map to services by the launchdarkly/project-key annotation, else by key.',
  },
  {
    source: "flagsmith",
    kind: "flagsmith_webhook",
    label: "Flagsmith",
    path: "/api/webhooks/flagsmith",
    auth: "X-Flagsmith-Signature: paste a Flagsmith secret below as the environment webhook's Secret.",
    enable: "Environment settings → Webhooks (one per environment). Projects map to services by the flagsmith/project annotation, else by name.",
  },
] as const;

export const WEBHOOK_KIND_LABELS: Record<string, string> = Object.fromEntries(WEBHOOK_SOURCE_GUIDES.map((g) => [g.kind, g.label]));
