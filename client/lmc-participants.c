/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lmc-participants.h"

#include "lmc-media.h"

#define MAX_PARTICIPANTS 16
#define MAX_MIDS 64

typedef struct {
  char *peer;
  char *role;
  char *name;
  gboolean present;
  /* What streams carried for this participant before they changed hands. */
  guint64 video_carried;
  guint64 audio_carried;
} Participant;

typedef struct {
  char *mid;
  char *peer;
  /* The stream's counts when it was given to `peer`. */
  guint64 video_base;
  guint64 audio_base;
} MidMap;

struct _LmcParticipants {
  char *self_peer;
  char *default_peer;
  GPtrArray *participants;    /* Participant */
  GPtrArray *mids;            /* MidMap */
};

static void
participant_free (gpointer data)
{
  Participant *p = data;

  g_free (p->peer);
  g_free (p->role);
  g_free (p->name);
  g_free (p);
}

static void
mid_map_free (gpointer data)
{
  MidMap *map = data;

  g_free (map->mid);
  g_free (map->peer);
  g_free (map);
}

LmcParticipants *
lmc_participants_new (const char *self_peer)
{
  LmcParticipants *self = g_new0 (LmcParticipants, 1);

  self->self_peer = g_strdup (self_peer);
  self->participants = g_ptr_array_new_with_free_func (participant_free);
  self->mids = g_ptr_array_new_with_free_func (mid_map_free);
  return self;
}

void
lmc_participants_free (LmcParticipants *self)
{
  if (self == NULL)
    return;
  g_free (self->self_peer);
  g_free (self->default_peer);
  g_ptr_array_unref (self->participants);
  g_ptr_array_unref (self->mids);
  g_free (self);
}

static Participant *
find (LmcParticipants *self, const char *peer)
{
  for (guint i = 0; peer && i < self->participants->len; i++) {
    Participant *p = g_ptr_array_index (self->participants, i);

    if (g_str_equal (p->peer, peer))
      return p;
  }
  return NULL;
}

static MidMap *
find_mid (LmcParticipants *self, const char *mid)
{
  for (guint i = 0; mid && i < self->mids->len; i++) {
    MidMap *map = g_ptr_array_index (self->mids, i);

    if (g_str_equal (map->mid, mid))
      return map;
  }
  return NULL;
}

static void
set_if_given (char **field, const char *value)
{
  if (value == NULL)
    return;
  g_free (*field);
  *field = g_strdup (value);
}

gboolean
lmc_participants_join (LmcParticipants *self,
                       const char      *peer,
                       const char      *role,
                       const char      *name)
{
  Participant *p;

  if (peer == NULL || g_strcmp0 (peer, self->self_peer) == 0)
    return FALSE;
  p = find (self, peer);
  if (p) {
    p->present = TRUE;
    set_if_given (&p->role, role);
    set_if_given (&p->name, name);
    return FALSE;
  }
  if (self->participants->len >= MAX_PARTICIPANTS)
    return FALSE;
  p = g_new0 (Participant, 1);
  p->peer = g_strdup (peer);
  p->role = g_strdup (role);
  p->name = g_strdup (name);
  p->present = TRUE;
  g_ptr_array_add (self->participants, p);
  return TRUE;
}

static const char *
member_string (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

void
lmc_participants_add_json (LmcParticipants *self,
                           JsonArray       *peers)
{
  for (guint i = 0; peers && i < json_array_get_length (peers); i++) {
    JsonNode *node = json_array_get_element (peers, i);
    JsonObject *member;

    if (!JSON_NODE_HOLDS_OBJECT (node))
      continue;
    member = json_node_get_object (node);
    lmc_participants_join (self, member_string (member, "peer"), member_string (member, "role"),
                           member_string (member, "name"));
  }
}

gboolean
lmc_participants_leave (LmcParticipants *self,
                        const char      *peer)
{
  Participant *p = find (self, peer);

  if (p == NULL || !p->present)
    return FALSE;
  p->present = FALSE;
  return TRUE;
}

const char *
lmc_participants_get_name (LmcParticipants *self,
                           const char      *peer)
{
  Participant *p = find (self, peer);

  return p ? p->name : NULL;
}

guint
lmc_participants_count (LmcParticipants *self,
                        const char      *role)
{
  guint n = 0;

  for (guint i = 0; i < self->participants->len; i++) {
    Participant *p = g_ptr_array_index (self->participants, i);

    if (p->present && (role == NULL || g_strcmp0 (p->role, role) == 0))
      n++;
  }
  return n;
}

void
lmc_participants_set_default_peer (LmcParticipants *self,
                                   const char      *peer)
{
  g_free (self->default_peer);
  self->default_peer = g_strdup (peer);
}

/* The counts of stream `mid` in `counts` (a mid is video or audio). */
static void
mid_counts (GArray *counts, const char *mid, guint64 *video, guint64 *audio)
{
  *video = *audio = 0;
  for (guint i = 0; counts && i < counts->len; i++) {
    LmcMediaStreamStats *stream = &g_array_index (counts, LmcMediaStreamStats, i);

    if (g_strcmp0 (stream->mid, mid) != 0)
      continue;
    if (stream->video)
      *video += stream->frames;
    else
      *audio += stream->frames;
  }
}

static void
map_mid (LmcParticipants *self, const char *mid, const char *peer, GArray *counts)
{
  MidMap *map = find_mid (self, mid);
  guint64 video, audio;
  Participant *previous;

  if (map && g_str_equal (map->peer, peer))
    return;
  mid_counts (counts, mid, &video, &audio);
  if (map == NULL) {
    if (self->mids->len >= MAX_MIDS)
      return;
    map = g_new0 (MidMap, 1);
    map->mid = g_strdup (mid);
    g_ptr_array_add (self->mids, map);
  } else if ((previous = find (self, map->peer))) {
    previous->video_carried += video - MIN (video, map->video_base);
    previous->audio_carried += audio - MIN (audio, map->audio_base);
  }
  g_free (map->peer);
  map->peer = g_strdup (peer);
  map->video_base = video;
  map->audio_base = audio;
}

void
lmc_participants_set_streams (LmcParticipants *self,
                              JsonArray       *streams,
                              GArray          *counts)
{
  for (guint i = 0; streams && i < json_array_get_length (streams); i++) {
    JsonNode *node = json_array_get_element (streams, i);
    JsonObject *entry;
    const char *mid, *peer;

    if (!JSON_NODE_HOLDS_OBJECT (node))
      continue;
    entry = json_node_get_object (node);
    mid = member_string (entry, "mid");
    peer = member_string (entry, "peer");
    if (mid == NULL || peer == NULL || g_strcmp0 (peer, self->self_peer) == 0)
      continue;
    /* The relay's offer may overtake peer.joined: the name comes later. */
    if (find (self, peer) == NULL && !lmc_participants_join (self, peer, NULL, NULL))
      continue;
    map_mid (self, mid, peer, counts);
  }
}

const char *
lmc_participants_peer_for_mid (LmcParticipants *self,
                               const char      *mid)
{
  MidMap *map = find_mid (self, mid);

  return map ? map->peer : self->default_peer;
}

void
lmc_participants_fill_report (LmcParticipants *self,
                              GArray          *counts,
                              LmcReport       *report)
{
  for (guint i = 0; i < self->participants->len; i++) {
    Participant *p = g_ptr_array_index (self->participants, i);
    guint64 video = p->video_carried, audio = p->audio_carried;

    for (guint j = 0; counts && j < counts->len; j++) {
      LmcMediaStreamStats *stream = &g_array_index (counts, LmcMediaStreamStats, j);
      MidMap *map = find_mid (self, stream->mid);
      guint64 base = 0;

      if (map ? g_strcmp0 (map->peer, p->peer) != 0 : g_strcmp0 (self->default_peer, p->peer) != 0)
        continue;
      if (map)
        base = stream->video ? map->video_base : map->audio_base;
      if (stream->video)
        video += stream->frames - MIN (stream->frames, base);
      else
        audio += stream->frames - MIN (stream->frames, base);
    }
    lmc_report_add_peer (report, p->peer, p->name, video, audio);
  }
}
