/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-sdp.h"

#include <gst/webrtc/webrtc.h>
#include <string.h>

#include "lmc-error.h"

#define MAX_MEDIA 16

static gboolean
has_attribute (const GstSDPMessage *msg,
               const GstSDPMedia   *media,
               const char          *key)
{
  return gst_sdp_media_get_attribute_val (media, key) != NULL ||
         gst_sdp_message_get_attribute_val (msg, key) != NULL;
}

static gboolean
check_media (const GstSDPMessage  *msg,
             guint                 index,
             GError              **error)
{
  const GstSDPMedia *media = gst_sdp_message_get_media (msg, index);
  const char *kind = gst_sdp_media_get_media (media);
  const char *proto = gst_sdp_media_get_proto (media);
  static const char *const needed[] = { "ice-ufrag", "ice-pwd", "fingerprint" };

  if (kind == NULL || (!g_str_equal (kind, "audio") && !g_str_equal (kind, "video") &&
                       !g_str_equal (kind, "application"))) {
    g_set_error (error, LMC_ERROR, LMC_ERROR_PEER,
                 "bad SDP: m-line %u has media \"%s\"", index, kind ? kind : "");
    return FALSE;
  }
  if (proto == NULL || (strstr (proto, "SAVP") == NULL && strstr (proto, "DTLS") == NULL)) {
    g_set_error (error, LMC_ERROR, LMC_ERROR_PEER,
                 "bad SDP: m-line %u is not DTLS-SRTP (proto \"%s\")",
                 index, proto ? proto : "");
    return FALSE;
  }
  if (gst_sdp_media_formats_len (media) == 0) {
    g_set_error (error, LMC_ERROR, LMC_ERROR_PEER,
                 "bad SDP: m-line %u has no formats", index);
    return FALSE;
  }
  for (guint i = 0; i < G_N_ELEMENTS (needed); i++) {
    if (!has_attribute (msg, media, needed[i])) {
      g_set_error (error, LMC_ERROR, LMC_ERROR_PEER,
                   "bad SDP: m-line %u has no a=%s", index, needed[i]);
      return FALSE;
    }
  }
  return TRUE;
}

GstSDPMessage *
lmc_sdp_parse (const char  *text,
               GError     **error)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  const char *version;
  guint n_media;

  if (text == NULL || !g_str_has_prefix (text, "v=")) {
    g_set_error_literal (error, LMC_ERROR, LMC_ERROR_PEER,
                         "bad SDP: does not start with \"v=\"");
    return NULL;
  }
  if (gst_sdp_message_new_from_text (text, &msg) != GST_SDP_OK) {
    g_set_error_literal (error, LMC_ERROR, LMC_ERROR_PEER, "bad SDP: does not parse");
    return NULL;
  }
  version = gst_sdp_message_get_version (msg);
  if (version == NULL || !g_str_equal (version, "0")) {
    g_set_error_literal (error, LMC_ERROR, LMC_ERROR_PEER, "bad SDP: version is not 0");
    return NULL;
  }
  n_media = gst_sdp_message_medias_len (msg);
  if (n_media == 0 || n_media > MAX_MEDIA) {
    g_set_error (error, LMC_ERROR, LMC_ERROR_PEER,
                 "bad SDP: %u media sections (1-%d allowed)", n_media, MAX_MEDIA);
    return NULL;
  }
  for (guint i = 0; i < n_media; i++)
    if (!check_media (msg, i, error))
      return NULL;

  return g_steal_pointer (&msg);
}

gboolean
lmc_sdp_type_from_string (const char *str,
                          int        *type)
{
  if (g_strcmp0 (str, "offer") == 0)
    *type = GST_WEBRTC_SDP_TYPE_OFFER;
  else if (g_strcmp0 (str, "answer") == 0)
    *type = GST_WEBRTC_SDP_TYPE_ANSWER;
  else if (g_strcmp0 (str, "pranswer") == 0)
    *type = GST_WEBRTC_SDP_TYPE_PRANSWER;
  else
    return FALSE;
  return TRUE;
}
