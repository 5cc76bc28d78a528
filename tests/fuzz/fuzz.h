/* fuzz.h: the libFuzzer entry points every target defines; replay.c calls them too. */
#pragma once

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
