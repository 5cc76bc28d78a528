/* confine.c: what an extraction child may do once it has its bytes: read them, write
 * records, allocate, exit. The parsers (poppler, libarchive, expat, GMime) run only
 * after this, so a memory fault they have gains an attacker a process that can write
 * to one pipe and nothing else. */
#include "confine.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "weir-config.h"

#if WEIR_HAVE_SECCOMP
#include <seccomp.h>
#endif
#if WEIR_HAVE_LANDLOCK
#include <linux/landlock.h>
#endif

/* Sanitizer builds reserve terabytes of shadow memory: no RLIMIT_AS there. */
#if defined(__SANITIZE_ADDRESS__)
#define CONFINE_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONFINE_SANITIZER 1
#endif
#endif
#ifndef CONFINE_SANITIZER
#define CONFINE_SANITIZER 0
#endif

static void
confine_limits (const ExtractBounds *bounds)
{
  struct rlimit core = { 0, 0 };
  setrlimit (RLIMIT_CORE, &core);
  /* CPU seconds: the wall-clock deadline is the launcher's; this one also holds if
   * the launcher were gone. */
  rlim_t cpu = (rlim_t) bounds->time_ms / 1000 + 2;
  struct rlimit cpu_limit = { cpu, cpu + 1 };
  setrlimit (RLIMIT_CPU, &cpu_limit);
  if (!CONFINE_SANITIZER && bounds->memory_mb > 0)
    {
      rlim_t as = (rlim_t) bounds->memory_mb << 20;
      struct rlimit as_limit = { as, as };
      setrlimit (RLIMIT_AS, &as_limit);
    }
}

#if WEIR_HAVE_LANDLOCK && defined(__NR_landlock_create_ruleset)
/* Every access right of the kernel's ABI, none granted: no path can be opened, made
 * or removed; from ABI 4 no TCP either. */
static int
confine_landlock (void)
{
  long abi = syscall (__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi <= 0)
    return 0;
  struct {
    guint64 fs, net, scoped;
  } attr = { .fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1 };
  gsize size = sizeof attr.fs;
  if (abi >= 2)
    attr.fs |= 1ULL << 13;  /* REFER */
  if (abi >= 3)
    attr.fs |= 1ULL << 14;  /* TRUNCATE */
  if (abi >= 4)
    attr.net = 3, size = 2 * sizeof (guint64);  /* BIND_TCP | CONNECT_TCP */
  if (abi >= 6)
    attr.scoped = 3, size = sizeof attr;  /* abstract UNIX sockets, signals */
  int ruleset = (int) syscall (__NR_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0)
    return -1;
  long rc = syscall (__NR_landlock_restrict_self, ruleset, 0);
  close (ruleset);
  return rc == 0 ? (int) abi : -1;
}
#endif

#if WEIR_HAVE_SECCOMP
static const char *const child_syscalls[] = {
  "read", "readv", "write", "writev", "close", "lseek", "fstat", "newfstatat", "statx",
  "brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
  "futex", "rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "sigaltstack", "restart_syscall",
  "clock_gettime", "clock_getres", "gettimeofday", "time", "getrandom",
  "getpid", "gettid", "sched_yield", "sched_getaffinity", "getrusage", "prlimit64",
  "exit", "exit_group",
};

/* EPERM for everything else, so a library that tries a file (a font, a locale) gets
 * an error it handles rather than killing a benign extraction; execve, socket and
 * open never happen either way. */
static gboolean
confine_seccomp (void)
{
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ERRNO (EPERM));
  if (ctx == NULL)
    return FALSE;
  int rc = 0;
  for (gsize i = 0; i < G_N_ELEMENTS (child_syscalls) && rc == 0; i++)
    {
      int nr = seccomp_syscall_resolve_name (child_syscalls[i]);
      if (nr != __NR_SCMP_ERROR)
        rc = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, nr, 0);
    }
  rc = rc ? rc : seccomp_load (ctx);
  seccomp_release (ctx);
  return rc == 0;
}
#endif

gboolean
confine_child (const ExtractBounds *bounds, char **said)
{
  confine_limits (bounds);
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    {
      *said = g_strdup ("no_new_privs refused");
      return FALSE;
    }
  GString *s = g_string_new (NULL);
  gboolean ok = TRUE;
#if WEIR_HAVE_LANDLOCK && defined(__NR_landlock_create_ruleset)
  int abi = confine_landlock ();
  if (abi > 0)
    g_string_append_printf (s, "landlock abi %d; ", abi);
  else
    g_string_append (s, abi == 0 ? "no landlock in this kernel; " : "landlock failed; ");
  ok = abi >= 0;
#else
  g_string_append (s, "no landlock in this build; ");
#endif
#if WEIR_HAVE_SECCOMP
  gboolean filtered = confine_seccomp ();
  g_string_append (s, filtered ? "seccomp on" : "seccomp failed");
  ok = ok && filtered;
#else
  g_string_append (s, "no seccomp in this build");
#endif
  *said = g_string_free (s, FALSE);
  return ok;
}
