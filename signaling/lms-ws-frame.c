/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-ws.h"

#include <string.h>

/* The frame layer of RFC 6455, server side: client frames, masked; no
 * extension, so every reserved bit must be clear. Everything here is input
 * from the network: errors become a close code, never an assertion. */

typedef struct {
  gboolean fin;
  guint8 opcode;
  gsize header_len;             /* 2 + extended length + 4 (mask) */
  guint64 payload_len;
  const guint8 *mask;
} FrameHead;

enum { HEAD_ERROR = -1, HEAD_INCOMPLETE = 0, HEAD_COMPLETE = 1 };

#define MAX_HEADER 14

void
lms_ws_reader_init (LmsWsReader *reader, guint64 max_payload)
{
  memset (reader, 0, sizeof *reader);
  reader->max_payload = max_payload;
}

void
lms_ws_reader_clear (LmsWsReader *reader)
{
  g_clear_pointer (&reader->partial, g_free);
  reader->partial_len = reader->partial_cap = 0;
  g_clear_pointer (&reader->message, g_free);
  reader->message_len = reader->message_cap = 0;
  reader->message_opcode = 0;
}

gsize
lms_ws_frame_header (guint8 header[10], LmsWsOpcode opcode, guint64 len)
{
  header[0] = 0x80 | opcode;
  if (len < 126)
    {
      header[1] = len;
      return 2;
    }
  if (len <= 0xffff)
    {
      header[1] = 126;
      header[2] = len >> 8;
      header[3] = len & 0xff;
      return 4;
    }
  header[1] = 127;
  for (int i = 0; i < 8; i++)
    header[2 + i] = (len >> (56 - 8 * i)) & 0xff;
  return 10;
}

static int
fail (gushort *code, const char **reason, gushort value, const char *text)
{
  *code = value;
  *reason = text;
  return HEAD_ERROR;
}

/* Checks what the first two bytes say against the reader's state. */
static int
check_opcode (const LmsWsReader *reader, const FrameHead *head, guint8 len7,
              gushort *code, const char **reason)
{
  switch (head->opcode)
    {
    case LMS_WS_OP_CONTINUATION:
      if (!reader->message_opcode)
        return fail (code, reason, LMS_WS_CLOSE_PROTOCOL_ERROR, "continuation without a message");
      return HEAD_COMPLETE;
    case LMS_WS_OP_TEXT:
    case LMS_WS_OP_BINARY:
      if (reader->message_opcode)
        return fail (code, reason, LMS_WS_CLOSE_PROTOCOL_ERROR,
                     "new message inside a fragmented one");
      return HEAD_COMPLETE;
    case LMS_WS_OP_CLOSE:
    case LMS_WS_OP_PING:
    case LMS_WS_OP_PONG:
      if (!head->fin)
        return fail (code, reason, LMS_WS_CLOSE_PROTOCOL_ERROR, "fragmented control frame");
      if (len7 > 125)
        return fail (code, reason, LMS_WS_CLOSE_PROTOCOL_ERROR, "control frame too long");
      return HEAD_COMPLETE;
    default:
      return fail (code, reason, LMS_WS_CLOSE_PROTOCOL_ERROR, "unknown opcode");
    }
}

/* HEAD_INCOMPLETE sets *need, the bytes the header takes at least. */
static int
parse_head (const LmsWsReader *reader, const guint8 *p, gsize len, FrameHead *head,
            gsize *need, gushort *code, const char **reason)
{
  guint8 len7;
  gsize ext;

  if (len < 2)
    {
      *need = 2;
      return HEAD_INCOMPLETE;
    }
  head->fin = (p[0] & 0x80) != 0;
  head->opcode = p[0] & 0x0f;
  len7 = p[1] & 0x7f;
  if (p[0] & 0x70)
    return fail (code, reason, LMS_WS_CLOSE_PROTOCOL_ERROR, "reserved bits set");
  if (!(p[1] & 0x80))
    return fail (code, reason, LMS_WS_CLOSE_PROTOCOL_ERROR, "client frames must be masked");
  if (check_opcode (reader, head, len7, code, reason) == HEAD_ERROR)
    return HEAD_ERROR;

  ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  head->header_len = 2 + ext + 4;
  if (len < head->header_len)
    {
      *need = head->header_len;
      return HEAD_INCOMPLETE;
    }
  head->payload_len = len7;
  if (ext > 0)
    {
      head->payload_len = 0;
      for (gsize i = 0; i < ext; i++)
        head->payload_len = (head->payload_len << 8) | p[2 + i];
      if (head->payload_len >> 63)
        return fail (code, reason, LMS_WS_CLOSE_PROTOCOL_ERROR, "invalid frame length");
    }
  if (head->payload_len > reader->max_payload
      || (head->opcode == LMS_WS_OP_CONTINUATION
          && head->payload_len > reader->max_payload - reader->message_len))
    return fail (code, reason, LMS_WS_CLOSE_TOO_BIG, "message too big");
  head->mask = p + 2 + ext;
  return HEAD_COMPLETE;
}

static void
append (guint8 **buf, gsize *len, gsize *cap, const guint8 *data, gsize n, gsize want)
{
  if (n == 0)
    return;
  if (*len + n > *cap)
    {
      *cap = MAX (MAX (want, *len + n), *cap * 2);
      *buf = g_realloc (*buf, *cap);
    }
  memcpy (*buf + *len, data, n);
  *len += n;
}

static void
unmask (guint8 *payload, guint64 len, const guint8 mask[4])
{
  for (guint64 i = 0; i < len; i++)
    payload[i] ^= mask[i & 3];
}

static LmsWsFeed
deliver (LmsWsFrameFunc func, gpointer user_data, guint8 opcode, guint8 *payload, gsize len)
{
  static guint8 empty[1];

  return func (user_data, opcode, payload ? payload : empty, len) ? LMS_WS_FEED_OK
                                                                  : LMS_WS_FEED_STOPPED;
}

static LmsWsFeed
handle_frame (LmsWsReader *reader, const FrameHead *head, guint8 *payload,
              LmsWsFrameFunc func, gpointer user_data)
{
  g_autofree guint8 *message = NULL;
  guint8 opcode;
  gsize len;

  unmask (payload, head->payload_len, head->mask);
  switch (head->opcode)
    {
    case LMS_WS_OP_TEXT:
    case LMS_WS_OP_BINARY:
      if (head->fin)
        return deliver (func, user_data, head->opcode, payload, head->payload_len);
      reader->message_opcode = head->opcode;
      append (&reader->message, &reader->message_len, &reader->message_cap,
              payload, head->payload_len, head->payload_len);
      return LMS_WS_FEED_OK;
    case LMS_WS_OP_CONTINUATION:
      append (&reader->message, &reader->message_len, &reader->message_cap,
              payload, head->payload_len, head->payload_len);
      if (!head->fin)
        return LMS_WS_FEED_OK;
      /* Taken out before the call, so the reader is ready for the next. */
      opcode = reader->message_opcode;
      message = g_steal_pointer (&reader->message);
      len = reader->message_len;
      reader->message_len = reader->message_cap = 0;
      reader->message_opcode = 0;
      return deliver (func, user_data, opcode, message, len);
    default:
      return deliver (func, user_data, head->opcode, payload, head->payload_len);
    }
}

/* Completes the frame that an earlier read left in `partial`. */
static LmsWsFeed
feed_partial (LmsWsReader *reader, guint8 **data, gsize *len, LmsWsFrameFunc func,
              gpointer user_data, gushort *code, const char **reason)
{
  while (reader->partial_len > 0)
    {
      g_autofree guint8 *frame = NULL;
      FrameHead head;
      gsize total;
      int r = parse_head (reader, reader->partial, reader->partial_len, &head, &total,
                          code, reason);

      if (r == HEAD_ERROR)
        return LMS_WS_FEED_ERROR;
      if (r == HEAD_COMPLETE)
        total = head.header_len + head.payload_len;
      if (reader->partial_len < total)
        {
          gsize take = MIN (total - reader->partial_len, *len);

          if (take == 0)
            return LMS_WS_FEED_OK;
          append (&reader->partial, &reader->partial_len, &reader->partial_cap, *data, take,
                  r == HEAD_COMPLETE ? total : MAX_HEADER);
          *data += take;
          *len -= take;
          continue;
        }
      frame = g_steal_pointer (&reader->partial);
      reader->partial_len = reader->partial_cap = 0;
      r = handle_frame (reader, &head, frame + head.header_len, func, user_data);
      if (r != LMS_WS_FEED_OK)
        return r;
    }
  return LMS_WS_FEED_OK;
}

LmsWsFeed
lms_ws_reader_feed (LmsWsReader *reader, guint8 *data, gsize len,
                    LmsWsFrameFunc func, gpointer user_data,
                    gushort *code, const char **reason)
{
  LmsWsFeed r = feed_partial (reader, &data, &len, func, user_data, code, reason);

  if (r != LMS_WS_FEED_OK)
    return r;
  while (len > 0)
    {
      FrameHead head;
      gsize total;
      int h = parse_head (reader, data, len, &head, &total, code, reason);

      if (h == HEAD_ERROR)
        return LMS_WS_FEED_ERROR;
      if (h == HEAD_COMPLETE)
        total = head.header_len + head.payload_len;
      if (len < total)
        {
          append (&reader->partial, &reader->partial_len, &reader->partial_cap, data, len,
                  h == HEAD_COMPLETE ? total : MAX_HEADER);
          return LMS_WS_FEED_OK;
        }
      r = handle_frame (reader, &head, data + head.header_len, func, user_data);
      if (r != LMS_WS_FEED_OK)
        return r;
      data += total;
      len -= total;
    }
  return LMS_WS_FEED_OK;
}
