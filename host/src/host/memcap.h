/* memcap.h: a hard cap on weir-host's memory, so a runaway allocation fails instead of
 * taking the machine (docs/hardening.md, "Bounded resources").
 *
 * The cap is the soft RLIMIT_DATA (private writable memory: heap, anonymous mappings,
 * thread stacks): what the host uses once its context and index are loaded, plus
 * MEMCAP_HEADROOM for one request. An allocation past it fails: cJSON and SQLite
 * report it as an error reply, g_malloc aborts the host, and the extension applies the
 * fail mode and starts a new host. It bounds bugs, not an attacker who runs code in
 * the host (seccomp and Landlock do that): the hard limit is left as the system set it,
 * so the cap can follow the index when packs are reloaded. */
#pragma once

#include <glib.h>

#include "nm.h"
#include "policy/policy.h"

/* One request's worst case, measured with the real host (VmPeak over the state before
 * the request, 64 MiB frames, max_scan_bytes at its 64 MiB maximum): 173 MiB for a
 * base64 file (the frame, cJSON's copy of its strings, the decoded file), 160 MiB for
 * 64 MiB of HTML, 128 MiB for text. Four frames cover each of those copies with room to
 * spare; 64 MiB more are for SQLite's cache, a notice's D-Bus thread and its arena. */
/* Files sent in chunks (upload.h) are held whole until a scan takes them: together up to
 * the largest max_scan_bytes a policy may set (256 MiB). While they wait, one request of
 * any other kind may come (four frames, above); scanning an upload of 256 MiB costs 0.4
 * times the file more (VmPeak 142 MiB for a 100 MB text file, 306 MiB for 256 MiB) plus
 * one chunk's frame, which the same sum covers. */
#define MEMCAP_REQUEST_HEADROOM (4 * NM_MAX_REQUEST + POLICY_MAX_SCAN_BYTES)
#define MEMCAP_HEADROOM (MEMCAP_REQUEST_HEADROOM + (gsize) 64 * 1024 * 1024)

/* ASan's shadow memory and allocator reserve terabytes of address space, much of it
 * counted as data: a cap derived from a release build's use would fail at once. */
#if defined(__SANITIZE_ADDRESS__)
#define MEMCAP_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define MEMCAP_SANITIZER 1
#endif
#endif
#ifndef MEMCAP_SANITIZER
#define MEMCAP_SANITIZER 0
#endif

typedef struct MemCap MemCap;

/* Sets the cap from the memory in use now (call it once the index is loaded, before the
 * sandbox: it keeps /proc/self/status open to measure again later). Never above a
 * limit the system or the admin set lower. Off in sanitizer builds, whose shadow memory
 * and allocator reserve terabytes. Never NULL. */
MemCap *memcap_new (void);
void memcap_free (MemCap *cap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MemCap, memcap_free)

/* The memory in use now, plus the headroom: after the index was replaced (packs
 * imported or removed), or after memcap_lift. */
void memcap_update (MemCap *cap);

/* Lifts the cap to the limit the host started with while packs or the store load: a
 * new index is not a request's, and one larger than the headroom would otherwise end
 * the host. memcap_update sets it again. */
void memcap_lift (MemCap *cap);

/* The cap in bytes; 0 when off. */
guint64 memcap_bytes (const MemCap *cap);

/* One line for the log and the audit record: "memory cap 331 MiB (RLIMIT_DATA)" or
 * "memory cap off: why". Caller frees. */
char *memcap_describe (const MemCap *cap);
