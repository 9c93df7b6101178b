/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmr-sdp.h"

#include "lmr-error.h"

/* Flag attributes ("a=recvonly") have no value: look for the key. */
static gboolean
media_has_key (const GstSDPMedia *media, const char *name)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    if (g_strcmp0 (gst_sdp_media_get_attribute (media, i)->key, name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
has_attribute (const GstSDPMessage *msg, const GstSDPMedia *media, const char *name)
{
  return gst_sdp_media_get_attribute_val (media, name) != NULL ||
         gst_sdp_message_get_attribute_val (msg, name) != NULL;
}

static gboolean
check_media (const GstSDPMessage *msg, guint index, GError **error)
{
  const GstSDPMedia *media = gst_sdp_message_get_media (msg, index);
  const char *kind = gst_sdp_media_get_media (media);
  const char *proto = gst_sdp_media_get_proto (media);

  if (g_strcmp0 (kind, "audio") != 0 && g_strcmp0 (kind, "video") != 0) {
    g_set_error (error, LMR_ERROR, LMR_ERROR_PEER, "bad SDP answer: media %u is \"%s\"",
                 index, kind ? kind : "");
    return FALSE;
  }
  if (proto == NULL || !g_str_has_suffix (proto, "SAVPF")) {
    g_set_error (error, LMR_ERROR, LMR_ERROR_PEER,
                 "bad SDP answer: media %u is not DTLS-SRTP (%s)", index, proto ? proto : "no proto");
    return FALSE;
  }
  /* A rejected section (port 0) needs no transport. */
  if (gst_sdp_media_get_port (media) == 0)
    return TRUE;
  if (!has_attribute (msg, media, "ice-ufrag") || !has_attribute (msg, media, "ice-pwd") ||
      !has_attribute (msg, media, "fingerprint")) {
    g_set_error (error, LMR_ERROR, LMR_ERROR_PEER,
                 "bad SDP answer: media %u lacks ICE credentials or a DTLS fingerprint", index);
    return FALSE;
  }
  return TRUE;
}

GstSDPMessage *
lmr_sdp_parse_answer (const char  *text,
                      guint        n_mlines,
                      GError     **error)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  guint n;

  /* gst_sdp_message_new_from_text() asserts on an empty text. */
  if (text == NULL || text[0] == '\0' || gst_sdp_message_new_from_text (text, &msg) != GST_SDP_OK ||
      msg == NULL) {
    g_set_error_literal (error, LMR_ERROR, LMR_ERROR_PEER, "bad SDP answer: it does not parse");
    return NULL;
  }
  if (g_strcmp0 (gst_sdp_message_get_version (msg), "0") != 0) {
    g_set_error_literal (error, LMR_ERROR, LMR_ERROR_PEER, "bad SDP answer: version is not 0");
    return NULL;
  }
  n = gst_sdp_message_medias_len (msg);
  if (n != n_mlines) {
    g_set_error (error, LMR_ERROR, LMR_ERROR_PEER,
                 "bad SDP answer: %u media sections for an offer of %u", n, n_mlines);
    return NULL;
  }
  for (guint i = 0; i < n; i++)
    if (!check_media (msg, i, error))
      return NULL;
  return g_steal_pointer (&msg);
}

gboolean
lmr_sdp_media_sends (const GstSDPMessage *answer,
                     guint                index)
{
  const GstSDPMedia *media;

  if (index >= gst_sdp_message_medias_len (answer))
    return FALSE;
  media = gst_sdp_message_get_media (answer, index);
  if (gst_sdp_media_get_port (media) == 0 ||
      media_has_key (media, "recvonly") || media_has_key (media, "inactive"))
    return FALSE;
  return TRUE;
}
