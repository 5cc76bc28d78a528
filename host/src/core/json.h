/* json.h: g_autoptr for cJSON trees. One owner per tree. */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cJSON, cJSON_Delete)
