/* index.h: the protected-content index the engine scores against (document
 * fingerprints and exact-data hashes). pack/ builds and loads it; the engine only reads. */
#pragma once

#include <glib.h>

typedef struct EngineIndex EngineIndex;

EngineIndex *engine_index_new (void);
void engine_index_free (EngineIndex *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EngineIndex, engine_index_free)

/* Appends FINDING_DOCUMENT and FINDING_EDM findings for text to findings. */
void engine_index_match (const EngineIndex *index, const char *text, gsize len, GPtrArray *findings);
