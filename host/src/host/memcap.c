#include "memcap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct MemCap {
  int status_fd;       /* /proc/self/status, opened before the sandbox; -1 when off */
  rlim_t ceiling;      /* the soft limit the host was started with (RLIM_INFINITY if none) */
  guint64 bytes;       /* the cap in force; 0 when off */
  const char *off;     /* why it is off, or NULL */
  guint64 headroom;    /* MEMCAP_HEADROOM, or less (WEIR_MEMCAP_HEADROOM_MIB) */
};

/* MEMCAP_HEADROOM, or the smaller headroom WEIR_MEMCAP_HEADROOM_MIB asks for: the
 * tests use it to reach the cap with small packs. It can only lower the cap. */
static guint64
headroom (void)
{
  const char *env = g_getenv ("WEIR_MEMCAP_HEADROOM_MIB");
  guint64 mib = 0;
  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, MEMCAP_HEADROOM >> 20, &mib, NULL))
    return mib << 20;
  return MEMCAP_HEADROOM;
}

/* VmData, in bytes: what RLIMIT_DATA counts. 0 when it cannot be read. */
static guint64
data_in_use (int fd)
{
  char buf[4096];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  const char *line = strstr (buf, "\nVmData:");
  if (line == NULL)
    return 0;
  guint64 kib = g_ascii_strtoull (line + strlen ("\nVmData:"), NULL, 10);
  return kib * 1024;
}

static void
cap_apply (MemCap *cap)
{
  guint64 used = data_in_use (cap->status_fd);
  struct rlimit limit;
  if (used == 0 || getrlimit (RLIMIT_DATA, &limit) != 0)
    {
      cap->bytes = 0;
      cap->off = "cannot measure the memory in use";
      return;
    }
  rlim_t want = (rlim_t) (used + cap->headroom);
  want = MIN (want, cap->ceiling);
  if (limit.rlim_max != RLIM_INFINITY)
    want = MIN (want, limit.rlim_max);
  limit.rlim_cur = want;
  if (setrlimit (RLIMIT_DATA, &limit) != 0)
    {
      g_warning ("memory cap: setrlimit: %s", g_strerror (errno));
      cap->bytes = 0;
      cap->off = "setrlimit failed";
      return;
    }
  cap->bytes = want;
  cap->off = NULL;
}

MemCap *
memcap_new (void)
{
  MemCap *cap = g_new0 (MemCap, 1);
  cap->status_fd = -1;
  cap->headroom = headroom ();
  if (MEMCAP_SANITIZER)
    {
      cap->off = "sanitizer build";
      return cap;
    }
  struct rlimit limit;
  cap->ceiling = getrlimit (RLIMIT_DATA, &limit) == 0 ? limit.rlim_cur : RLIM_INFINITY;
  cap->status_fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (cap->status_fd < 0)
    {
      cap->off = "/proc/self/status is unreadable";
      return cap;
    }
  cap_apply (cap);
  return cap;
}

void
memcap_free (MemCap *cap)
{
  if (cap == NULL)
    return;
  if (cap->status_fd >= 0)
    close (cap->status_fd);
  g_free (cap);
}

void
memcap_update (MemCap *cap)
{
  if (cap->status_fd >= 0)
    cap_apply (cap);
}

void
memcap_lift (MemCap *cap)
{
  struct rlimit limit;
  if (cap->bytes == 0 || getrlimit (RLIMIT_DATA, &limit) != 0)
    return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? cap->ceiling : MIN (cap->ceiling, limit.rlim_max);
  if (setrlimit (RLIMIT_DATA, &limit) != 0)
    g_warning ("memory cap: setrlimit: %s", g_strerror (errno));
}

guint64
memcap_bytes (const MemCap *cap)
{
  return cap->bytes;
}

char *
memcap_describe (const MemCap *cap)
{
  if (cap->bytes == 0)
    return g_strdup_printf ("memory cap off: %s", cap->off != NULL ? cap->off : "unknown");
  return g_strdup_printf ("memory cap %" G_GUINT64_FORMAT " MiB (RLIMIT_DATA)", cap->bytes >> 20);
}
