/* fuzz.h: the libFuzzer entry points every target defines; replay.c calls them too. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A property a target checks on its own output; a failure aborts, which both
 * libFuzzer and the replay driver report as a crash with the input kept. */
#define FUZZ_CHECK(cond)                                                            \
  do                                                                                \
    {                                                                               \
      if (!(cond))                                                                  \
        {                                                                           \
          fprintf (stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
          abort ();                                                                 \
        }                                                                           \
    }                                                                               \
  while (0)

/* GLib warnings and criticals abort too: they flag bugs that do not crash, such as
 * a GError set over another (found in the policy reader this way). */
#define FUZZ_FATAL_WARNINGS() g_log_set_always_fatal (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL)
