/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */

/* How the cost of one forwarded message in a GMainContext grows with the
 * number of idle connections, and what an epoll-driven design costs instead.
 * It isolates what bench/run-signaling-bench measures in lastmile-signaling:
 * GLib's main loop walks every attached GSource in prepare, query and check
 * and hands every file descriptor to poll(2) on each iteration, and libsoup's
 * SoupWebsocketConnection keeps one input GSource per open socket (and
 * destroys and re-attaches it on every read, which also writes the context's
 * wakeup eventfd and so costs one more iteration).
 *
 *   lm-bench-mainloop [--idle N] [--messages M] [--mode soup|persistent|epoll]
 *                     [--timers]
 *
 * Sets up N idle socket pairs whose server ends are watched by the main
 * context, plus one active pair; a second thread sends M small messages one
 * at a time into the active pair, the main context reads each and writes it
 * to the other side, and the thread times the round trip.
 *   soup        one GSocket source per idle socket; the active socket's
 *               source is destroyed and re-created after each read, as
 *               soup_websocket_connection_read() does
 *   persistent  one GSocket source per socket, kept attached
 *   epoll       all sockets in one epoll set, watched by a single GSource
 *   --timers    also one 30 s timeout source per idle socket, as
 *               soup_websocket_connection_set_keepalive_interval() adds
 * Prints one line: mode, idle, messages, round trip p50/p99/max µs, main
 * loop iterations per message, main-thread CPU µs per message. */

#include <gio/gio.h>
#include <glib-unix.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD 200

typedef enum { MODE_SOUP, MODE_PERSISTENT, MODE_EPOLL } Mode;

typedef struct {
  Mode mode;
  int idle;
  int messages;
  gboolean timers;
  GMainContext *context;
  gint done;                    /* set by the sender thread */
  int active_server;            /* main-loop end of the active pair */
  int active_client;            /* the sender thread's end */
  GSource *active_source;       /* soup and persistent modes */
  int epfd;
  guint64 iterations;
  gint64 *rtt_us;
} Bench;

static void
forward (Bench *b)
{
  char buf[4096];
  ssize_t n = recv (b->active_server, buf, sizeof buf, MSG_DONTWAIT);

  if (n > 0 && send (b->active_server, buf, n, MSG_NOSIGNAL) != n)
    g_error ("send: %s", g_strerror (errno));
  /* A second read that finds nothing, as a non-blocking reader does. */
  (void) recv (b->active_server, buf, sizeof buf, MSG_DONTWAIT);
}

static gboolean on_active_readable (GSocket *socket, GIOCondition condition, gpointer user_data);

static void
attach_active (Bench *b)
{
  g_autoptr (GSocket) socket = g_socket_new_from_fd (dup (b->active_server), NULL);

  b->active_source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_callback (b->active_source, G_SOURCE_FUNC (on_active_readable), b, NULL);
  g_source_attach (b->active_source, b->context);
}

static gboolean
on_active_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Bench *b = user_data;

  if (b->mode == MODE_SOUP)
    {
      /* soup_websocket_connection_read(): stop the input source, read,
       * start a new one. */
      g_source_destroy (b->active_source);
      g_clear_pointer (&b->active_source, g_source_unref);
      forward (b);
      attach_active (b);
      return G_SOURCE_REMOVE;
    }
  forward (b);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_idle_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
on_keepalive (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
on_epoll (int fd, GIOCondition condition, gpointer user_data)
{
  Bench *b = user_data;
  struct epoll_event events[64];
  int n = epoll_wait (b->epfd, events, G_N_ELEMENTS (events), 0);

  for (int i = 0; i < n; i++)
    if (events[i].data.fd == b->active_server)
      forward (b);
  return G_SOURCE_CONTINUE;
}

static void
watch (Bench *b, int fd)
{
  if (b->mode == MODE_EPOLL)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

      if (epoll_ctl (b->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        g_error ("epoll_ctl: %s", g_strerror (errno));
    }
  else
    {
      g_autoptr (GSocket) socket = g_socket_new_from_fd (fd, NULL);
      g_autoptr (GSource) source = g_socket_create_source (socket, G_IO_IN, NULL);

      g_source_set_callback (source, G_SOURCE_FUNC (on_idle_readable), b, NULL);
      g_source_attach (source, b->context);
    }
  if (b->timers)
    {
      g_autoptr (GSource) timer = g_timeout_source_new_seconds (30);

      g_source_set_callback (timer, on_keepalive, b, NULL);
      g_source_attach (timer, b->context);
    }
}

static gpointer
sender_thread (gpointer user_data)
{
  Bench *b = user_data;
  char out[PAYLOAD];
  char in[4096];

  memset (out, 'x', sizeof out);
  for (int i = 0; i < b->messages; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      ssize_t got = 0;

      if (send (b->active_client, out, sizeof out, MSG_NOSIGNAL) != (ssize_t) sizeof out)
        g_error ("send: %s", g_strerror (errno));
      while (got < (ssize_t) sizeof out)
        {
          ssize_t n = recv (b->active_client, in, sizeof in, 0);

          if (n <= 0)
            g_error ("recv: %s", n < 0 ? g_strerror (errno) : "closed");
          got += n;
        }
      b->rtt_us[i] = g_get_monotonic_time () - t0;
      /* Leave the loop idle in between, as at 2,000 msg/s. */
      g_usleep (200);
    }
  g_atomic_int_set (&b->done, 1);
  g_main_context_wakeup (b->context);
  return NULL;
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
parse_args (Bench *b, int argc, char **argv, GError **error)
{
  g_autofree char *mode = NULL;
  GOptionEntry entries[] = {
    { "idle", 0, 0, G_OPTION_ARG_INT, &b->idle, "Idle connections", "N" },
    { "messages", 0, 0, G_OPTION_ARG_INT, &b->messages, "Messages to forward", "M" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode, "soup, persistent or epoll", "MODE" },
    { "timers", 0, 0, G_OPTION_ARG_NONE, &b->timers, "A 30 s timer per idle connection", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) options = g_option_context_new ("- GMainContext cost per message");

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, error))
    return FALSE;
  if (!mode || g_str_equal (mode, "soup"))
    b->mode = MODE_SOUP;
  else if (g_str_equal (mode, "persistent"))
    b->mode = MODE_PERSISTENT;
  else if (g_str_equal (mode, "epoll"))
    b->mode = MODE_EPOLL;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "unknown --mode %s", mode);
      return FALSE;
    }
  if (b->idle < 0 || b->idle > 100000 || b->messages < 1 || b->messages > 10000000)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--idle or --messages out of range");
      return FALSE;
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  Bench b = { .idle = 5000, .messages = 5000, .epfd = -1 };
  g_autoptr (GError) error = NULL;
  g_autofree int *idle_clients = NULL;
  g_autoptr (GThread) thread = NULL;
  int pair[2];
  gint64 cpu0, cpu1;
  guint64 iterations = 0;
  static const char *mode_names[] = { "soup", "persistent", "epoll" };

  if (!parse_args (&b, argc, argv, &error))
    {
      g_printerr ("lm-bench-mainloop: %s\n", error->message);
      return 2;
    }
  b.context = g_main_context_new ();
  b.rtt_us = g_new0 (gint64, b.messages);
  if (b.mode == MODE_EPOLL)
    {
      b.epfd = epoll_create1 (EPOLL_CLOEXEC);
      g_autoptr (GSource) source = g_unix_fd_source_new (b.epfd, G_IO_IN);
      g_source_set_callback (source, G_SOURCE_FUNC (on_epoll), &b, NULL);
      g_source_attach (source, b.context);
    }

  idle_clients = g_new (int, b.idle);
  for (int i = 0; i < b.idle; i++)
    {
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0)
        g_error ("socketpair (raise ulimit -n): %s", g_strerror (errno));
      watch (&b, pair[0]);
      idle_clients[i] = pair[1];
    }
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    g_error ("socketpair: %s", g_strerror (errno));
  b.active_server = pair[0];
  b.active_client = pair[1];
  if (b.mode == MODE_EPOLL)
    watch (&b, b.active_server);
  else
    attach_active (&b);

  cpu0 = thread_cpu_us ();
  g_main_context_push_thread_default (b.context);
  thread = g_thread_new ("sender", sender_thread, &b);
  while (!g_atomic_int_get (&b.done))
    {
      g_main_context_iteration (b.context, TRUE);
      iterations++;
    }
  cpu1 = thread_cpu_us ();
  g_main_context_pop_thread_default (b.context);

  qsort (b.rtt_us, b.messages, sizeof (gint64), compare_gint64);
  g_print ("mode=%s idle=%d timers=%s messages=%d rtt_us p50=%" G_GINT64_FORMAT " p99=%" G_GINT64_FORMAT
           " max=%" G_GINT64_FORMAT " iterations_per_message=%.2f cpu_us_per_message=%.1f\n",
           mode_names[b.mode], b.idle, b.timers ? "yes" : "no", b.messages,
           b.rtt_us[b.messages / 2], b.rtt_us[(b.messages * 99) / 100 - (b.messages >= 100 ? 1 : 0)],
           b.rtt_us[b.messages - 1], (double) iterations / b.messages,
           (double) (cpu1 - cpu0) / b.messages);
  /* The process exits here; the kernel closes every socket. */
  return 0;
}
