#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "weir-config.h"
#include "weir-error.h"

#if WEIR_HAVE_SECCOMP
#include <sched.h>
#include <seccomp.h>
#endif

#if WEIR_HAVE_LANDLOCK
#include <linux/landlock.h>
#endif

/* Sanitizer builds (tests) check for leaks at exit from a tracer thread that
 * ptraces the host and reads /proc/self: those builds allow that much more. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_LEAK__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifndef SANDBOX_SANITIZER
#define SANDBOX_SANITIZER 0
#endif

gboolean
sandbox_wanted (void)
{
  static const char *const off[] = { "0", "off", "no", "false", NULL };
  const char *value = g_getenv ("WEIR_SANDBOX");
  return value == NULL || !g_strv_contains (off, value);
}

/* ---- seccomp ---- */

#if WEIR_HAVE_SECCOMP
/* What the host calls after start-up, found by tracing sessions (hello, scans,
 * decisions, store growth and checkpoints, the end of input) and by reading what
 * SQLite, GLib, libsodium and GDBus call on their paths (docs/hardening.md).
 * Names, not numbers, so one list serves every architecture; a name an
 * architecture lacks (open, stat on arm64) is skipped. */
static const char *const allowed_syscalls[] = {
  /* memory; libsodium locks and guards key pages */
  "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mlock", "mlock2", "munlock",
  /* threads (GDBus for notices), locks, signals */
  "futex", "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "gettid",
  "getpid", "sched_yield", "sched_getaffinity", "rt_sigaction", "rt_sigprocmask",
  "rt_sigreturn", "sigaltstack", "tgkill", "restart_syscall", "exit", "exit_group",
  /* time: audit timestamps, deadlines, SQLite's busy wait on a shared store */
  "clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep",
  "getrandom",
  /* descriptors: frames on stdin/stdout, the store and its WAL and shm files */
  "read", "readv", "write", "writev", "pread64", "pwrite64", "preadv", "pwritev", "lseek",
  "close", "dup", "dup2", "dup3", "fcntl", "flock", "fsync", "fdatasync", "ftruncate",
  "fallocate", "msync",
  "fstat", "newfstatat", "statx", "fstatfs", "statfs",
  /* files, confined by Landlock: the store, the pack inbox, key files */
  "openat", "open", "stat", "lstat", "access", "faccessat", "faccessat2", "readlink",
  "readlinkat", "getdents", "getdents64", "unlink", "unlinkat", "rename", "renameat", "renameat2",
  "mkdir", "mkdirat", "rmdir", "fchmod", "fchmodat", "chmod", "fchown", "utimensat", "umask",
  "getcwd",
  "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
  /* waiting: a GLib main context, should one run */
  "poll", "ppoll", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "eventfd2",
  "pipe2",
  /* AF_UNIX sockets only (the rule on socket() is below): journal, D-Bus notices */
  "connect", "sendto", "sendmsg", "recvfrom", "recvmsg", "getsockname", "getpeername",
  "getsockopt", "setsockopt", "shutdown", "memfd_create",
  /* identity and limits */
  "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "uname", "sysinfo",
  "prlimit64", "getrusage",
};

/* LeakSanitizer's exit check: a tracer (clone without CLONE_THREAD), ptrace, wait. */
static const char *const sanitizer_syscalls[] = {
  "ptrace", "wait4", "waitid", "prctl", "kill", "getppid",
};

static int
seccomp_allow_names (scmp_filter_ctx ctx, const char *const *names, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      int nr = seccomp_syscall_resolve_name (names[i]);
      if (nr == __NR_SCMP_ERROR)
        continue;
      int rc = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, nr, 0);
      if (rc < 0)
        return rc;
    }
  return 0;
}

/* The calls allowed only with some arguments. */
static int
seccomp_allow_conditional (scmp_filter_ctx ctx)
{
  int rc = 0;
  /* Sockets: AF_UNIX only, so no network whatever else goes wrong. */
  rc = rc ? rc : seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (socket), 1,
                                   SCMP_A0_32 (SCMP_CMP_EQ, AF_UNIX));
  rc = rc ? rc : seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (socketpair), 1,
                                   SCMP_A0_32 (SCMP_CMP_EQ, AF_UNIX));
  /* Threads, never processes: clone only with CLONE_THREAD (fork and vfork lack it);
   * sanitizer builds also let LeakSanitizer's tracer share the address space. */
  unsigned long need = SANDBOX_SANITIZER ? CLONE_VM : CLONE_THREAD;
  rc = rc ? rc : seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (clone), 1,
                                   SCMP_A0_64 (SCMP_CMP_MASKED_EQ, need, need));
  /* clone3 passes its flags in memory, out of the filter's sight: ENOSYS makes
   * glibc fall back to clone, which the rule above can inspect. */
  rc = rc ? rc : seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), SCMP_SYS (clone3), 0);
  /* Thread names, nothing else of prctl. */
  if (!SANDBOX_SANITIZER)
    {
      rc = rc ? rc : seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (prctl), 1,
                                       SCMP_A0_32 (SCMP_CMP_EQ, PR_SET_NAME));
      rc = rc ? rc : seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (prctl), 1,
                                       SCMP_A0_32 (SCMP_CMP_EQ, PR_GET_NAME));
    }
  return rc;
}

/* EPERM, not a kill, for anything else: a killed host is a disconnected extension
 * that applies the fail mode to every paste until a browser restart, while EPERM
 * reaches code that already handles a failed call (SQLite, GLib, our own), so a
 * call we did not foresee degrades one feature instead of all protection. An
 * attacker gains nothing from the error code: the call still does not happen. */
static gboolean
seccomp_apply (GError **error)
{
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ERRNO (EPERM));
  int rc = ctx == NULL ? -ENOMEM : 0;
  rc = rc ? rc : seccomp_attr_set (ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  /* A binary tree instead of a linear list: every call the host makes pays for the
   * filter's length (bench/bench-sandbox). Best effort: older libseccomp lacks it. */
  if (rc == 0)
    seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  rc = rc ? rc : seccomp_allow_names (ctx, allowed_syscalls, G_N_ELEMENTS (allowed_syscalls));
  if (SANDBOX_SANITIZER)
    rc = rc ? rc : seccomp_allow_names (ctx, sanitizer_syscalls, G_N_ELEMENTS (sanitizer_syscalls));
  rc = rc ? rc : seccomp_allow_conditional (ctx);
  rc = rc ? rc : seccomp_load (ctx);
  seccomp_release (ctx);
  if (rc < 0)
    g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "seccomp: %s", g_strerror (-rc));
  return rc == 0;
}
#endif

/* ---- Landlock ---- */

#if WEIR_HAVE_LANDLOCK && defined(__NR_landlock_create_ruleset)
/* Rights newer than the kernel headers we build with; the values are kernel ABI. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#define SANDBOX_NET_BIND_TCP (1ULL << 0)
#define SANDBOX_NET_CONNECT_TCP (1ULL << 1)
#define SANDBOX_SCOPE_SIGNAL (1ULL << 1)

/* The kernel's landlock_ruleset_attr as of ABI 6; older kernels read a prefix. */
typedef struct {
  guint64 handled_access_fs;
  guint64 handled_access_net;  /* ABI 4 */
  guint64 scoped;              /* ABI 6 */
} RulesetAttr;

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE \
                        | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)

static int
landlock_abi (void)
{
  long abi = syscall (__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : (int) abi;
}

/* Every file right the kernel knows, up to what this code handles (ABI 3). */
static guint64
landlock_fs_rights (int abi)
{
  guint64 rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;
  if (abi >= 2)
    rights |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3)
    rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
  return rights;
}

/* Grants access beneath path. A path that does not exist needs no rule. */
static gboolean
landlock_allow (int ruleset, const char *path, guint64 access, GError **error)
{
  int fd = open (path, O_PATH | O_CLOEXEC);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
    return TRUE;
  struct stat st;
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_IO, "landlock: %s: %s", path, g_strerror (errno));
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  struct landlock_path_beneath_attr rule = {
    .allowed_access = S_ISDIR (st.st_mode) ? access : access & FS_FILE_RIGHTS,
    .parent_fd = fd,
  };
  long rc = syscall (__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
  int saved = errno;
  close (fd);
  if (rc != 0)
    g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "landlock: rule for %s: %s", path,
                 g_strerror (saved));
  return rc == 0;
}

static gboolean
landlock_add_rules (int ruleset, const SandboxPaths *paths, guint64 all, GError **error)
{
  const guint64 device = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE;
  /* The state folder last: when it is the config folder (WEIR_HOME) rights add up. */
  return landlock_allow (ruleset, paths->config_dir, FS_READ & all, error)
         && landlock_allow (ruleset, paths->state_dir, all, error)
         /* Shared libraries that load late (GIO modules), locale and time zone data. */
         && landlock_allow (ruleset, "/usr", (FS_READ | LANDLOCK_ACCESS_FS_EXECUTE) & all, error)
         /* SQLite seeds its generator from /dev/urandom; GLib opens /dev/null. */
         && landlock_allow (ruleset, "/dev/urandom", LANDLOCK_ACCESS_FS_READ_FILE, error)
         && landlock_allow (ruleset, "/dev/null", device, error)
         && (!SANDBOX_SANITIZER || landlock_allow (ruleset, "/proc/self", FS_READ, error));
}

/* Returns the ABI applied, 0 when the kernel has no Landlock, -1 on failure. */
static int
landlock_apply (const SandboxPaths *paths, GError **error)
{
  int abi = landlock_abi ();
  if (abi <= 0)
    return 0;
  RulesetAttr attr = { .handled_access_fs = landlock_fs_rights (abi) };
  gsize size = sizeof attr.handled_access_fs;
  if (abi >= 4)
    {
      /* No TCP at all: seccomp already refuses inet sockets; this is the second wall. */
      attr.handled_access_net = SANDBOX_NET_BIND_TCP | SANDBOX_NET_CONNECT_TCP;
      size = G_STRUCT_OFFSET (RulesetAttr, scoped);
    }
  if (abi >= 6)
    {
      attr.scoped = SANDBOX_SCOPE_SIGNAL;  /* no signals to processes outside */
      size = sizeof attr;
    }
  int ruleset = (int) syscall (__NR_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "landlock: %s", g_strerror (errno));
      return -1;
    }
  gboolean ok = landlock_add_rules (ruleset, paths, attr.handled_access_fs, error);
  if (ok && syscall (__NR_landlock_restrict_self, ruleset, 0) != 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "landlock: %s", g_strerror (errno));
      ok = FALSE;
    }
  close (ruleset);
  return ok ? abi : -1;
}
#endif

/* ---- both ---- */

/* Each layer appends what it did to said and sets error only on a real failure. */
static void
landlock_layer (const SandboxPaths *paths, SandboxLayers *layers, GString *said, GError **error)
{
#if WEIR_HAVE_LANDLOCK && defined(__NR_landlock_create_ruleset)
  int abi = landlock_apply (paths, error);
  if (abi > 0)
    *layers |= SANDBOX_LANDLOCK;
  if (abi > 0)
    g_string_append_printf (said, "landlock abi %d", abi);
  else
    g_string_append (said, abi == 0 ? "no landlock in this kernel" : "landlock failed");
#else
  g_string_append (said, "no landlock in this build");
#endif
}

static void
seccomp_layer (SandboxLayers *layers, GString *said, GError **error)
{
#if WEIR_HAVE_SECCOMP
  if (!seccomp_apply (error))
    g_string_append (said, "seccomp failed; ");
  else
    {
      *layers |= SANDBOX_SECCOMP;
      g_string_append (said, SANDBOX_SANITIZER ? "seccomp on (sanitizer build); " : "seccomp on; ");
    }
#else
  g_string_append (said, "no seccomp in this build; ");
#endif
}

SandboxLayers
sandbox_enter (const SandboxPaths *paths, char **summary, GError **error)
{
  g_return_val_if_fail (paths != NULL && paths->state_dir != NULL && paths->config_dir != NULL, 0);
  SandboxLayers layers = 0;
  GString *said = g_string_new (NULL);
  g_autoptr (GError) seccomp_error = NULL, landlock_error = NULL;
  /* Both layers need it; it also stops a setuid binary from regaining rights. */
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    {
      g_set_error (error, WEIR_ERROR, WEIR_ERROR_INTERNAL, "no_new_privs: %s", g_strerror (errno));
      *summary = g_strdup ("off: no_new_privs refused");
      return g_string_free (said, TRUE), 0;
    }
  /* Seccomp last: Landlock's own system calls are not on its list. */
  GString *landlock = g_string_new (NULL);
  landlock_layer (paths, &layers, landlock, &landlock_error);
  seccomp_layer (&layers, said, &seccomp_error);
  g_string_append (said, landlock->str);
  g_string_free (landlock, TRUE);
  if (seccomp_error != NULL || landlock_error != NULL)
    {
      GError **first = seccomp_error != NULL ? &seccomp_error : &landlock_error;
      g_string_append_printf (said, " (%s)", (*first)->message);
      g_propagate_error (error, g_steal_pointer (first));
    }
  *summary = g_string_free (said, FALSE);
  return layers;
}
