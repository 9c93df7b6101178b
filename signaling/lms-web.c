/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
/* The web pages (doctor console, admin dashboard), served from GResource. */
#include "lms-server.h"

void
lms_web_register (LmsServer *server)
{
}
