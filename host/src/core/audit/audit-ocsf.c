#include "audit-ocsf.h"

#include <string.h>

#include "audit-record.h"
#include "weir-config.h"
#include "weir-error.h"

/* OCSF enumerations used here (schema 1.3): severity_id 1 Informational, 3 Medium,
 * 4 High; Data Security Finding activity_id 1 Create, 2 Update; Application
 * Lifecycle activity_id 3 Start, 4 Stop, 99 Other; finding status_id 1 New;
 * security-control action_id 1 Allowed, 2 Denied, 3 Observed, 4 Modified. */
enum { SEVERITY_INFO = 1, SEVERITY_MEDIUM = 3, SEVERITY_HIGH = 4 };
enum { FINDING_CREATE = 1, FINDING_UPDATE = 2 };
enum { APP_START = 3, APP_STOP = 4, OTHER = 99 };

static const char *
text_of (const cJSON *record, const char *name)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (record, name);
  return cJSON_IsString (item) ? item->valuestring : NULL;
}

static gboolean
is_finding (const char *event)
{
  /* copy (issue 25): content leaving a source group's page, an observation of data
   * movement that a later "copied" finding refers to; informational, no action. */
  static const char *const findings[] = { "verdict", "gpu", "decision", "report", "copy", NULL };
  return g_strv_contains (findings, event);
}

static cJSON *
product (const char *name)
{
  cJSON *p = cJSON_CreateObject ();
  cJSON_AddStringToObject (p, "name", name);
  cJSON_AddStringToObject (p, "vendor_name", "Weir");
  cJSON_AddStringToObject (p, "version", WEIR_VERSION);
  return p;
}

static cJSON *
metadata (const cJSON *record)
{
  cJSON *m = cJSON_CreateObject ();
  cJSON_AddStringToObject (m, "version", AUDIT_OCSF_VERSION);
  cJSON_AddItemToObject (m, "product", product ("Weir"));
  cJSON_AddStringToObject (m, "uid", text_of (record, "id"));
  cJSON_AddStringToObject (m, "log_name", "weir-audit");
  cJSON_AddStringToObject (m, "original_time", text_of (record, "time"));
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive (record, "seq");
  cJSON_AddNumberToObject (m, "sequence", cJSON_IsNumber (seq) ? seq->valuedouble : 0);
  if (text_of (record, "content_digest") != NULL)
    cJSON_AddStringToObject (m, "correlation_uid", text_of (record, "content_digest"));
  return m;
}

static int
severity (const char *verdict)
{
  if (g_strcmp0 (verdict, "block") == 0)
    return SEVERITY_HIGH;
  return g_strcmp0 (verdict, "warn") == 0 || g_strcmp0 (verdict, "redact") == 0 ? SEVERITY_MEDIUM : SEVERITY_INFO;
}

static void
add_class (cJSON *ev, int class_uid, const char *class_name, int activity, const char *activity_name)
{
  cJSON_AddNumberToObject (ev, "class_uid", class_uid);
  cJSON_AddStringToObject (ev, "class_name", class_name);
  cJSON_AddNumberToObject (ev, "category_uid", class_uid / 1000);
  cJSON_AddStringToObject (ev, "category_name", class_uid / 1000 == 2 ? "Findings" : "Application Activity");
  cJSON_AddNumberToObject (ev, "activity_id", activity);
  cJSON_AddStringToObject (ev, "activity_name", activity_name);
  cJSON_AddNumberToObject (ev, "type_uid", class_uid * 100 + activity);
}

/* finding_info: the verdict's record id is the finding's uid; a decision refers to it. */
static cJSON *
finding_info (const cJSON *record, const char *event, const char *verdict)
{
  const char *ref = text_of (record, "ref");
  cJSON *info = cJSON_CreateObject ();
  cJSON_AddStringToObject (info, "uid", ref != NULL ? ref : text_of (record, "id"));
  g_autofree char *title = g_strdup_printf ("Weir %s%s%s", event, verdict ? ": " : "", verdict ? verdict : "");
  cJSON_AddStringToObject (info, "title", title);
  cJSON *types = cJSON_AddArrayToObject (info, "types");
  cJSON_AddItemToArray (types, cJSON_CreateString (event));
  const cJSON *reason;
  cJSON *rules = cJSON_CreateArray ();
  cJSON_ArrayForEach (reason, cJSON_GetObjectItemCaseSensitive (record, "reasons"))
    {
      const char *rule = text_of (reason, "rule") ? text_of (reason, "rule") : text_of (reason, "name");
      if (rule != NULL)
        cJSON_AddItemToArray (rules, cJSON_CreateString (rule));
    }
  cJSON_AddItemToObject (info, "tags", rules);
  return info;
}

static void
add_finding (cJSON *ev, const cJSON *record, const char *event)
{
  const char *verdict = text_of (record, "verdict");
  int activity = strcmp (event, "decision") == 0 ? FINDING_UPDATE : FINDING_CREATE;
  add_class (ev, AUDIT_OCSF_DATA_SECURITY_FINDING, "Data Security Finding", activity,
             activity == FINDING_CREATE ? "Create" : "Update");
  cJSON_AddNumberToObject (ev, "severity_id", severity (verdict));
  cJSON_AddItemToObject (ev, "finding_info", finding_info (record, event, verdict));
  cJSON_AddNumberToObject (ev, "status_id", 1);
  cJSON_AddBoolToObject (ev, "is_alert", severity (verdict) > SEVERITY_INFO);
  if (verdict != NULL)
    {
      cJSON_AddStringToObject (ev, "action", verdict);
      /* redact (issue 24): the content went in masked, OCSF's 4 Modified. */
      cJSON_AddNumberToObject (ev, "action_id", strcmp (verdict, "allow") == 0 ? 1
                                                : strcmp (verdict, "block") == 0 ? 2
                                                : strcmp (verdict, "redact") == 0 ? 4 : 3);
    }
}

static void
add_lifecycle (cJSON *ev, const char *event)
{
  int activity = strcmp (event, "host-start") == 0 ? APP_START : strcmp (event, "host-stop") == 0 ? APP_STOP : OTHER;
  add_class (ev, AUDIT_OCSF_APPLICATION_LIFECYCLE, "Application Lifecycle", activity,
             activity == APP_START ? "Start" : activity == APP_STOP ? "Stop" : event);
  cJSON_AddNumberToObject (ev, "severity_id", g_str_has_suffix (event, "refuse") ? SEVERITY_MEDIUM : SEVERITY_INFO);
  cJSON_AddItemToObject (ev, "app", product ("Weir host"));
}

/* Who and where: the OS user and the device, by id. */
static void
add_context (cJSON *ev, const cJSON *record, const char *line)
{
  cJSON *actor = cJSON_AddObjectToObject (ev, "actor");
  cJSON_AddStringToObject (cJSON_AddObjectToObject (actor, "user"), "name", text_of (record, "user"));
  cJSON *device = cJSON_AddObjectToObject (ev, "device");
  cJSON_AddStringToObject (device, "uid", text_of (record, "device"));
  cJSON_AddNumberToObject (device, "type_id", 0);
  cJSON *unmapped = cJSON_AddObjectToObject (ev, "unmapped");
  static const char *const kept[] = { "origin", "scan_event", "reasons", "rule", "policy", "ref", "action",
                                      "justification", "reported", "detail", "api", "pack", "pack_version",
                                      "signer", "reason", "source", "problem", "bytes", "redaction", "redacted",
                                      "copy_event", "words", NULL };
  for (const char *const *name = kept; *name != NULL; name++)
    {
      const cJSON *item = cJSON_GetObjectItemCaseSensitive (record, *name);
      if (item != NULL)
        cJSON_AddItemToObject (unmapped, *name, cJSON_Duplicate (item, TRUE));
    }
  cJSON_AddStringToObject (ev, "raw_data", line);
}

cJSON *
audit_ocsf_event (const char *line, GError **error)
{
  g_autoptr (cJSON) record = cJSON_Parse (line);
  const char *event = text_of (record, "event"), *time = text_of (record, "time");
  gint64 time_us = 0;
  if (event == NULL || !audit_time_parse (time, &time_us) || text_of (record, "id") == NULL)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_BAD_JSON, "not a Weir audit record");
      return NULL;
    }
  cJSON *ev = cJSON_CreateObject ();
  if (is_finding (event))
    add_finding (ev, record, event);
  else
    add_lifecycle (ev, event);
  cJSON_AddNumberToObject (ev, "time", (double) (time_us / 1000));
  cJSON_AddItemToObject (ev, "metadata", metadata (record));
  g_autofree char *message = g_strdup_printf ("Weir %s", event);
  cJSON_AddStringToObject (ev, "message", message);
  add_context (ev, record, line);
  return ev;
}
