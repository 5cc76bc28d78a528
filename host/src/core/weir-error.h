/* weir-error.h: the one error domain of Weir.
 *
 * Each code doubles as the protocol's `error.code` string (weir_error_code_name()),
 * so an error raised deep in the library reaches the extension unchanged. */
#pragma once

#include <glib.h>

#define WEIR_ERROR (weir_error_quark ())

typedef enum {
  WEIR_ERROR_BAD_JSON,      /* not JSON, or not valid UTF-8 */
  WEIR_ERROR_BAD_REQUEST,   /* JSON, but a field is missing or of the wrong type */
  WEIR_ERROR_UNKNOWN_TYPE,  /* a request `type` this host does not serve */
  WEIR_ERROR_TOO_LARGE,     /* over a size cap */
  WEIR_ERROR_IO,            /* a file could not be read or written */
  WEIR_ERROR_STORE,         /* the store refused or failed */
  WEIR_ERROR_TAMPERED,      /* authentication or a signature failed */
  WEIR_ERROR_POLICY,        /* the policy file is invalid */
  WEIR_ERROR_PACK,          /* a pack is malformed */
  WEIR_ERROR_REFUSED,       /* well-formed, but not accepted (untrusted key, older version) */
  WEIR_ERROR_NOT_FOUND,     /* a named object does not exist */
  WEIR_ERROR_INTERNAL,      /* a defect or an exhausted resource */
} WeirError;

GQuark weir_error_quark (void);

/* A static string such as "bad_json"; never NULL. */
const char *weir_error_code_name (int code);
