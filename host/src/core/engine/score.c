#include "score.h"

#include <pthread.h>
#include <signal.h>

#include "detect.h"

/* Below this a paste is scored on the caller's thread alone: waking the sidecar takes
 * about 10 us (40 us at the 99th percentile, on the 2-core VMs here), what the detectors
 * take on a few KiB, and most pastes are that small. */
#define SCORE_PARALLEL_MIN ((gsize) 16 * 1024)

/* The detectors' deepest frame is a few KiB (JWT headers, SAS signatures); the default
 * 8 MiB would count against the host's memory cap (RLIMIT_DATA) for nothing. */
#define SIDECAR_STACK ((gsize) 512 * 1024)

/* One thread beside the caller: the pattern detectors, while the caller normalises the
 * words; then both take the packs' parts (each pack's documents, then its exact data:
 * engine_index_split_take; a text over 4 MiB is one part, index.c) until none is left,
 * so the exact data goes to whichever is free first (the caller when the detectors take
 * long: number-dense text has many candidates for both) and several packs spread over
 * both. On `weir scan --batch` the
 * two come out about even (docs/packs.md); the detectors alone beside the rest left
 * the caller the longer half by far. The index's repair stays on the caller's thread.
 * One job at a time; a second caller while one is posted scores alone. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t posted, finished;
  const char *text;  /* the job, NULL when none is posted */
  gsize len;
  GArray *hits;
  EngineIndexSplit *split;  /* set once the caller has the words */
  gboolean split_ready, done;
} Sidecar;

/* pthread's own locks rather than GLib's: ThreadSanitizer sees through them. */
static Sidecar sidecar = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
                           NULL, 0, NULL, NULL, FALSE, FALSE };
static pthread_mutex_t sidecar_claim = PTHREAD_MUTEX_INITIALIZER;
static gint sidecar_wanted = -1;     /* -1: ask WEIR_SCORE_THREADS at first use */
static gsize sidecar_state = 0;      /* g_once: 1 running, 2 not started */
static guint sidecar_jobs = 0;       /* atomic */

static void *
sidecar_main (void *data)
{
  (void) data;
  pthread_setname_np (pthread_self (), "weir-score");  /* best effort: top -H, perf */
  pthread_mutex_lock (&sidecar.lock);
  for (;;)
    {
      while (sidecar.text == NULL)
        pthread_cond_wait (&sidecar.posted, &sidecar.lock);
      const char *text = sidecar.text;
      gsize len = sidecar.len;
      GArray *hits = sidecar.hits;
      pthread_mutex_unlock (&sidecar.lock);
      detect_scan (text, len, hits);
      pthread_mutex_lock (&sidecar.lock);
      while (!sidecar.split_ready)
        pthread_cond_wait (&sidecar.posted, &sidecar.lock);
      EngineIndexSplit *split = sidecar.split;
      pthread_mutex_unlock (&sidecar.lock);
      while (engine_index_split_take (split))
        ;
      pthread_mutex_lock (&sidecar.lock);
      sidecar.text = NULL;
      sidecar.split = NULL;
      sidecar.split_ready = FALSE;
      sidecar.done = TRUE;
      pthread_cond_signal (&sidecar.finished);
    }
  return NULL;
}

/* Started at the first large paste; signals stay with the caller's threads. FALSE when
 * the thread cannot be made (then every paste is scored on one thread, as before). */
static gboolean
sidecar_start (void)
{
  pthread_attr_t attr;
  if (pthread_attr_init (&attr) != 0)
    return FALSE;
  sigset_t all, old;
  sigfillset (&all);
  pthread_t thread;
  gboolean ok = pthread_attr_setstacksize (&attr, SIDECAR_STACK) == 0
                && pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED) == 0
                && pthread_sigmask (SIG_SETMASK, &all, &old) == 0;
  if (ok)
    {
      ok = pthread_create (&thread, &attr, sidecar_main, NULL) == 0;
      pthread_sigmask (SIG_SETMASK, &old, NULL);
    }
  pthread_attr_destroy (&attr);
  if (!ok)
    g_debug ("score: no second thread for the detectors; pastes are scored on one");
  return ok;
}

static gboolean
sidecar_ready (void)
{
  if (g_atomic_int_get (&sidecar_wanted) < 0)
    {
      const char *env = g_getenv ("WEIR_SCORE_THREADS");
      g_atomic_int_set (&sidecar_wanted, env == NULL || g_strcmp0 (env, "1") != 0);
    }
  if (!g_atomic_int_get (&sidecar_wanted))
    return FALSE;
  if (g_once_init_enter (&sidecar_state))
    g_once_init_leave (&sidecar_state, sidecar_start () ? 1 : 2);
  return sidecar_state == 1;
}

static void
add_pattern_findings (GArray *hits, GPtrArray *findings)
{
  for (guint i = 0; i < hits->len; i++)
    {
      const DetectHit *hit = &g_array_index (hits, DetectHit, i);
      Finding *finding = finding_new (FINDING_PATTERN);
      finding->rule = g_strdup (hit->detector->id);
      finding->count = hit->count;
      g_ptr_array_add (findings, finding);
    }
}

/* The detectors on the sidecar while this thread normalises the words and runs
 * alongside; then the packs' parts on both. The findings in the order one thread gives
 * (patterns, then each pack's documents and exact data). */
static void
score_beside (const EngineIndex *index, const char *text, gsize len, GArray *hits, GPtrArray *findings,
              EngineAlongside alongside, gpointer data)
{
  pthread_mutex_lock (&sidecar.lock);
  sidecar.len = len;
  sidecar.hits = hits;
  sidecar.done = FALSE;
  sidecar.text = text;
  pthread_cond_signal (&sidecar.posted);
  pthread_mutex_unlock (&sidecar.lock);

  EngineIndexSplit *split = engine_index_split_new (index, text, len);
  pthread_mutex_lock (&sidecar.lock);
  sidecar.split = split;
  sidecar.split_ready = TRUE;
  pthread_cond_signal (&sidecar.posted);
  pthread_mutex_unlock (&sidecar.lock);

  if (alongside != NULL)
    alongside (data);
  while (engine_index_split_take (split))
    ;

  pthread_mutex_lock (&sidecar.lock);
  while (!sidecar.done)
    pthread_cond_wait (&sidecar.finished, &sidecar.lock);
  pthread_mutex_unlock (&sidecar.lock);
  g_atomic_int_inc (&sidecar_jobs);

  add_pattern_findings (hits, findings);
  engine_index_split_finish (split, findings);
}

void
engine_score_with (const EngineIndex *index, const char *text, gsize len, GPtrArray *findings,
                   EngineAlongside alongside, gpointer data)
{
  g_autoptr (GArray) hits = g_array_new (FALSE, FALSE, sizeof (DetectHit));
  if (index != NULL && engine_index_pack_count (index) > 0 && len >= SCORE_PARALLEL_MIN && sidecar_ready ()
      && pthread_mutex_trylock (&sidecar_claim) == 0)
    {
      score_beside (index, text, len, hits, findings, alongside, data);
      pthread_mutex_unlock (&sidecar_claim);
      return;
    }
  if (alongside != NULL)
    alongside (data);
  detect_scan (text, len, hits);
  add_pattern_findings (hits, findings);
  if (index != NULL)
    engine_index_match (index, text, len, findings);
}

void
engine_score (const EngineIndex *index, const char *text, gsize len, GPtrArray *findings)
{
  engine_score_with (index, text, len, findings, NULL, NULL);
}

void
engine_score_set_threads (guint threads)
{
  g_atomic_int_set (&sidecar_wanted, threads != 1);
}

guint
engine_score_jobs_beside (void)
{
  return (guint) g_atomic_int_get (&sidecar_jobs);
}
