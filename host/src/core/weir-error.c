#include "weir-error.h"

G_DEFINE_QUARK (weir-error-quark, weir_error)

const char *
weir_error_code_name (int code)
{
  static const char *const names[] = {
    [WEIR_ERROR_BAD_JSON] = "bad_json",
    [WEIR_ERROR_BAD_REQUEST] = "bad_request",
    [WEIR_ERROR_UNKNOWN_TYPE] = "unknown_type",
    [WEIR_ERROR_TOO_LARGE] = "too_large",
    [WEIR_ERROR_IO] = "io",
    [WEIR_ERROR_STORE] = "store",
    [WEIR_ERROR_TAMPERED] = "tampered",
    [WEIR_ERROR_POLICY] = "policy",
    [WEIR_ERROR_PACK] = "pack",
    [WEIR_ERROR_REFUSED] = "refused",
    [WEIR_ERROR_NOT_FOUND] = "not_found",
    [WEIR_ERROR_INTERNAL] = "internal",
  };
  if (code < 0 || (gsize) code >= G_N_ELEMENTS (names) || names[code] == NULL)
    return "internal";
  return names[code];
}
