/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-options.h"

#include <gst/gst.h>
#include <string.h>

#include "lm-config.h"
#include "lmc-error.h"
#include "lm-url.h"

#define DEFAULT_SPECIALTY "general"
#define DEFAULT_URGENCY "routine"
#define DEFAULT_RESOLUTION "640x480"

static const char description[] =
  "A clinic's token starts a consultation request (--specialty, --urgency,\n"
  "--patient-ref) and waits for a doctor; a doctor's token goes available,\n"
  "shows the queue and accepts a request (--accept-first, or the number of\n"
  "a request typed at the prompt). The client handles one consultation and\n"
  "exits. Ctrl-C ends the consultation (or withdraws the request); a doctor\n"
  "who leaves a consultation other doctors are still in only leaves it.\n"
  "\n"
  "With a media relay several doctors can take part: --invite NAME asks\n"
  "another doctor in once the call is up; an invited doctor accepts with\n"
  "--accept-invites, or by answering y at the prompt.\n"
  "\n"
  "The token may also come from the environment variable LASTMILE_TOKEN,\n"
  "which keeps it out of the process list.\n"
  "\n"
  "Every option can be set in the [client] group of a --config file, keys\n"
  "being the long option names; flags override the file.\n"
  "\n"
  "Exit status:\n"
  "  0  the consultation completed (or the request was withdrawn)\n"
  "  1  the consultation ended for another reason (peer lost, ICE failure,\n"
  "     a peer's bad SDP or candidate), or the server refused a request\n"
  "  2  bad command line or config file\n"
  "  3  the server is unreachable, or the connection was lost\n"
  "  4  the server refused the token (unauthorized)\n"
  "  5  TLS failure: the server's certificate was refused\n";

void
lmc_options_init (LmcOptions *options)
{
  *options = (LmcOptions) {
    .fps = 30,
    .max_bitrate = 1000,
    .latency = 50,
    .stats_interval = 3,
    .ice_timeout = 30,
  };
}

void
lmc_options_clear (LmcOptions *options)
{
  g_clear_pointer (&options->server, g_free);
  g_clear_pointer (&options->token, g_free);
  g_clear_pointer (&options->ca_file, g_free);
  g_clear_pointer (&options->config, g_free);
  g_clear_pointer (&options->specialty, g_free);
  g_clear_pointer (&options->urgency, g_free);
  g_clear_pointer (&options->patient_ref, g_free);
  g_clear_pointer (&options->invite, g_free);
  g_clear_pointer (&options->video, g_free);
  g_clear_pointer (&options->audio, g_free);
  g_clear_pointer (&options->resolution, g_free);
  g_clear_pointer (&options->report, g_free);
  g_clear_pointer (&options->http_url, g_free);
  lmc_media_config_clear (&options->media);
}

static gboolean
bad (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad (GError **error, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (LMC_ERROR, LMC_ERROR_BAD_ARGS, format, args));
  va_end (args);
  return FALSE;
}

char *
lmc_options_normalize_url (const char  *url,
                           gboolean    *tls,
                           GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  char *normal = lm_url_normalize_server (url, tls, &local_error);

  if (normal == NULL)
    bad (error, "%s", local_error->message);
  return normal;
}

gboolean
lmc_options_parse_resolution (const char *str,
                              int        *width,
                              int        *height)
{
  g_auto (GStrv) parts = NULL;
  guint64 w, h;

  if (str == NULL)
    return FALSE;
  parts = g_strsplit (str, "x", 3);
  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 16, 3840, &w, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 16, 2160, &h, NULL) ||
      w % 2 != 0 || h % 2 != 0)
    return FALSE;
  *width = (int) w;
  *height = (int) h;
  return TRUE;
}

static gboolean
check_video (LmcOptions *options, GError **error)
{
  const char *video = options->video ? options->video : "auto";

  g_clear_pointer (&options->media.video_device, g_free);
  if (g_str_equal (video, "test"))
    options->media.video = LMC_VIDEO_SOURCE_TEST;
  else if (g_str_equal (video, "auto"))
    options->media.video = LMC_VIDEO_SOURCE_AUTO;
  else if (g_str_equal (video, "v4l2"))
    options->media.video = LMC_VIDEO_SOURCE_V4L2;
  else if (g_str_has_prefix (video, "v4l2:") && video[5] == '/') {
    options->media.video = LMC_VIDEO_SOURCE_V4L2;
    options->media.video_device = g_strdup (video + 5);
  } else
    return bad (error, "--video: \"%s\" is not test, auto, v4l2 or v4l2:/dev/videoN", video);
  return TRUE;
}

static gboolean
check_audio (LmcOptions *options, GError **error)
{
  const char *audio = options->audio ? options->audio : "auto";

  if (g_str_equal (audio, "test"))
    options->media.audio = LMC_AUDIO_SOURCE_TEST;
  else if (g_str_equal (audio, "auto"))
    options->media.audio = LMC_AUDIO_SOURCE_AUTO;
  else if (g_str_equal (audio, "none"))
    options->media.audio = LMC_AUDIO_SOURCE_NONE;
  else
    return bad (error, "--audio: \"%s\" is not test, auto or none", audio);
  return TRUE;
}

static gboolean
is_account_name (const char *name)
{
  gsize len = strlen (name);

  if (len < 1 || len > 64)
    return FALSE;
  for (const char *c = name; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '_' && *c != '.' && *c != '-')
      return FALSE;
  return TRUE;
}

static gboolean
check_strings (LmcOptions *options, GError **error)
{
  const char *env_token = g_getenv ("LASTMILE_TOKEN");
  gsize len;

  if (options->server == NULL)
    return bad (error, "--server is required");
  if (options->token == NULL && env_token && env_token[0])
    options->token = g_strdup (env_token);
  if (options->token == NULL || options->token[0] == '\0')
    return bad (error, "--token is required (or LASTMILE_TOKEN)");
  if (strlen (options->token) > 256)
    return bad (error, "--token is longer than 256 bytes");

  if (options->specialty == NULL)
    options->specialty = g_strdup (DEFAULT_SPECIALTY);
  len = strlen (options->specialty);
  if (len < 1 || len > 64 || !g_utf8_validate (options->specialty, -1, NULL))
    return bad (error, "--specialty must be 1-64 bytes of UTF-8");

  if (options->urgency == NULL)
    options->urgency = g_strdup (DEFAULT_URGENCY);
  if (!g_str_equal (options->urgency, "routine") && !g_str_equal (options->urgency, "urgent") &&
      !g_str_equal (options->urgency, "emergency"))
    return bad (error, "--urgency: \"%s\" is not routine, urgent or emergency", options->urgency);

  if (options->patient_ref) {
    len = strlen (options->patient_ref);
    if (len < 1 || len > 64 || !g_utf8_validate (options->patient_ref, -1, NULL))
      return bad (error, "--patient-ref must be 1-64 bytes of UTF-8");
  }
  if (options->invite && !is_account_name (options->invite))
    return bad (error, "--invite: \"%s\" is not an account name (1-64 of A-Z a-z 0-9 _ . -)",
                options->invite);
  if (options->ca_file && !g_file_test (options->ca_file, G_FILE_TEST_IS_REGULAR))
    return bad (error, "--ca-file: %s is not a readable file", options->ca_file);
  return TRUE;
}

static gboolean
check_numbers (LmcOptions *options, GError **error)
{
  if (options->resolution == NULL)
    options->resolution = g_strdup (DEFAULT_RESOLUTION);
  if (!lmc_options_parse_resolution (options->resolution, &options->media.width,
                                     &options->media.height))
    return bad (error, "--resolution: \"%s\" is not WxH with even sizes from 16x16 to 3840x2160",
                options->resolution);
  if (options->fps < 1 || options->fps > 60)
    return bad (error, "--fps must be 1-60");
  if (options->max_bitrate < 50 || options->max_bitrate > 20000)
    return bad (error, "--max-bitrate must be 50-20000 kbit/s");
  if (options->duration < 0)
    return bad (error, "--duration must be 0 (no limit) or more seconds");
  if (options->latency < 0 || options->latency > 2000)
    return bad (error, "--latency must be 0-2000 ms");
  if (options->stats_interval < 1 || options->stats_interval > 60)
    return bad (error, "--stats-interval must be 1-60 s");
  if (options->ice_timeout < 1 || options->ice_timeout > 300)
    return bad (error, "--ice-timeout must be 1-300 s");
  options->media.fps = options->fps;
  options->media.max_bitrate_kbps = options->max_bitrate;
  options->media.latency_ms = (guint) options->latency;
  options->media.relay_only = options->relay_only;
  return TRUE;
}

static gboolean
has_value (const char *s)
{
  return s != NULL && s[0] != '\0';
}

gboolean
lmc_options_check (LmcOptions  *options,
                   GError     **error)
{
  g_clear_pointer (&options->http_url, g_free);
  if (!check_strings (options, error) || !check_video (options, error) ||
      !check_audio (options, error) || !check_numbers (options, error))
    return FALSE;
  options->http_url = lmc_options_normalize_url (options->server, &options->tls, error);
  if (options->http_url == NULL)
    return FALSE;
  options->media.display = !options->headless && (has_value (g_getenv ("DISPLAY")) ||
                                                  has_value (g_getenv ("WAYLAND_DISPLAY")));
  return TRUE;
}

gboolean
lmc_options_parse (LmcOptions  *options,
                   int         *argc,
                   char      ***argv,
                   GError     **error)
{
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &options->server,
      "Signaling server (ws://, wss://, http:// or https://HOST[:PORT][/ws])", "URL" },
    { "token", 't', 0, G_OPTION_ARG_STRING, &options->token,
      "Account token (clinic or doctor)", "TOKEN" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &options->ca_file,
      "Trust only these CA certificates (PEM) for wss:// instead of the system's", "FILE" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options->config,
      "Read options from the [client] group of this key file", "FILE" },
    { "specialty", 0, 0, G_OPTION_ARG_STRING, &options->specialty,
      "Clinic: the specialty asked for (default general)", "NAME" },
    { "urgency", 0, 0, G_OPTION_ARG_STRING, &options->urgency,
      "Clinic: routine, urgent or emergency (default routine)", "LEVEL" },
    { "patient-ref", 0, 0, G_OPTION_ARG_STRING, &options->patient_ref,
      "Clinic: the patient's pseudonymous reference (never a name)", "REF" },
    { "accept-first", 0, 0, G_OPTION_ARG_NONE, &options->accept_first,
      "Doctor: accept the first request in the queue without asking", NULL },
    { "invite", 0, 0, G_OPTION_ARG_STRING, &options->invite,
      "Doctor: invite this doctor (account name) once the call is up (needs a relay)", "NAME" },
    { "accept-invites", 0, 0, G_OPTION_ARG_NONE, &options->accept_invites,
      "Doctor: join consultations other doctors invite you to without asking", NULL },
    { "consent-recording", 0, 0, G_OPTION_ARG_NONE, &options->consent_recording,
      "Clinic: the patient consents to the consultation being recorded (needs a relay)", NULL },
    { "video", 0, 0, G_OPTION_ARG_STRING, &options->video,
      "test, v4l2[:DEVICE] or auto (default auto: a camera if there is one)", "SOURCE" },
    { "audio", 0, 0, G_OPTION_ARG_STRING, &options->audio,
      "test, auto or none (default auto: a microphone if there is one)", "SOURCE" },
    { "resolution", 0, 0, G_OPTION_ARG_STRING, &options->resolution,
      "Video size sent (default 640x480)", "WxH" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &options->fps, "Video frame rate sent (default 30)", "N" },
    { "max-bitrate", 0, 0, G_OPTION_ARG_INT, &options->max_bitrate,
      "Video bit rate sent (default 1000)", "KBPS" },
    { "headless", 0, 0, G_OPTION_ARG_NONE, &options->headless,
      "No windows or sound: decode the remote media and count it", NULL },
    { "duration", 0, 0, G_OPTION_ARG_INT, &options->duration,
      "End the consultation after S seconds of media (default 0: no limit)", "S" },
    { "report", 0, 0, G_OPTION_ARG_FILENAME, &options->report,
      "Write a JSON report of the consultation to FILE at exit", "FILE" },
    { "latency", 0, 0, G_OPTION_ARG_INT, &options->latency,
      "Jitter buffer latency (default 50)", "MS" },
    { "stats-interval", 0, 0, G_OPTION_ARG_INT, &options->stats_interval,
      "Seconds between quality reports to the server (default 3)", "S" },
    { "ice-timeout", 0, 0, G_OPTION_ARG_INT, &options->ice_timeout,
      "End the consultation if media does not connect in S seconds (default 30)", "S" },
    { "relay-only", 0, 0, G_OPTION_ARG_NONE, &options->relay_only,
      "Send media only through TURN relays", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- lastmile telemedicine client");
  g_autoptr (GError) local_error = NULL;
  const char *config_path = lm_config_find_path (*argc, *argv);

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  g_option_context_set_description (context, description);

  if (config_path && !lm_config_load (config_path, "client", entries, &local_error))
    return bad (error, "%s", local_error->message);
  if (!g_option_context_parse (context, argc, argv, &local_error))
    return bad (error, "%s", local_error->message);
  if (*argc > 1)
    return bad (error, "unexpected argument \"%s\"", (*argv)[1]);
  return lmc_options_check (options, error);
}
