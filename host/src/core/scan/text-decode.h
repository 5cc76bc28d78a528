/* text-decode.h: text in another encoding, as UTF-8 for the engine.
 *
 * Files people share are not all UTF-8: PowerShell, Notepad and many Windows tools write
 * UTF-16 with a byte-order mark, and mail and web forms declare a charset. Text that the
 * engine would read as raw bytes hides what it holds (a private key in UTF-16 is a NUL
 * between every letter). Pure and bounded: no I/O, the output is at most 3/2 of the input
 * for UTF-16 and 3/4 of it for UTF-32, and every malformed unit becomes U+FFFD. */
#pragma once

#include <glib.h>

/* The encoding text_decode found: what the audit and the tests can name. */
typedef enum {
  TEXT_UTF8 = 0,       /* no byte-order mark and no charset: the bytes as they are */
  TEXT_UTF8_BOM,
  TEXT_UTF16LE,
  TEXT_UTF16BE,
  TEXT_UTF32LE,
  TEXT_UTF32BE,
  TEXT_DECLARED,       /* another charset the MIME type declared, converted by iconv */
} TextEncoding;

/* Returns the text as UTF-8 (free with g_free; *out_len without the final NUL), or NULL
 * when the bytes are UTF-8 already (a UTF-8 BOM is then skipped through *skip) or the
 * declared charset is unknown. mime may be NULL. *encoding says what was found. */
char *text_decode (const char *mime, const guchar *data, gsize len, gsize *skip, gsize *out_len,
                   TextEncoding *encoding);
