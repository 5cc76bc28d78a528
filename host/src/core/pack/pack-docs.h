/* pack-docs.h: the documents of a `weir pack build --docs DIR`: which files are
 * documents, the walk that finds them, and the name each has in reasons. */
#pragma once

#include <glib.h>

/* Whether a file of this name is a document, by its extension (.txt .md .csv .json
 * .html .htm, any case). */
gboolean pack_docs_is_document (const char *name);

/* Whether the document at path is HTML, whose visible text is what gets fingerprinted. */
gboolean pack_docs_is_html (const char *path);
/* Office, OpenDocument, PDF, RTF and mail: read through weir-extract (extract.h). */
gboolean pack_docs_needs_extract (const char *name);

/* Every document below dir, walking folders (not symlinked ones) and skipping names
 * that start with a dot; a symlink to a regular file counts. Paths, sorted by strcmp,
 * in a GPtrArray of char* that the caller frees; NULL when a folder cannot be read. */
GPtrArray *pack_docs_collect (const char *dir, GError **error);

/* The name a document has in reasons: its path below root (trailing slashes on root
 * ignored), else its base name; made valid UTF-8 with control characters (C0, DEL, C1)
 * replaced by '?' (packs refuse them) and cut to 4000 bytes. Caller frees. */
char *pack_docs_name (const char *root, const char *path);
