/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 The lastmile developers */
#include "lms-accounts-cli.h"

#include <stdio.h>

#include "lm-error.h"
#include "lms-db.h"

static const char usage[] =
  "Usage:\n"
  "  lastmile-signaling [--db FILE] account add --role clinic|doctor|admin|relay --name NAME [--specialty S]...\n"
  "  lastmile-signaling [--db FILE] account list\n"
  "  lastmile-signaling [--db FILE] account revoke NAME\n"
  "\n"
  "'add' prints the new account's token once; the database keeps only its SHA-256.\n";

static int
account_add (LmsDb *db, int argc, char **argv)
{
  g_autofree char *role_name = NULL;
  g_autofree char *name = NULL;
  g_auto (GStrv) specialties = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new ("- add an account");
  g_autofree char *token = NULL;
  const GOptionEntry entries[] = {
    { "role", 0, 0, G_OPTION_ARG_STRING, &role_name, "clinic, doctor, admin or relay", "ROLE" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Unique account name", "NAME" },
    { "specialty", 0, 0, G_OPTION_ARG_STRING_ARRAY, &specialties,
      "A doctor's specialty (repeatable; none: sees every request)", "S" },
    { NULL }
  };
  LmRole role;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("account add: %s\n", error->message);
      return 2;
    }
  if (!role_name || !lm_role_from_string (role_name, &role))
    {
      g_printerr ("account add: --role must be clinic, doctor, admin or relay\n");
      return 2;
    }
  if (!name)
    {
      g_printerr ("account add: --name is required\n");
      return 2;
    }
  if (argc > 1)
    {
      g_printerr ("account add: unexpected argument '%s'\n", argv[1]);
      return 2;
    }
  token = lms_db_account_add (db, name, role, (const char * const *) specialties, &error);
  if (!token)
    {
      g_printerr ("account add: %s\n", error->message);
      return 1;
    }
  g_print ("%s\n", token);
  return 0;
}

static int
account_list (LmsDb *db)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) accounts = lms_db_account_list (db, &error);

  if (!accounts)
    {
      g_printerr ("account list: %s\n", error->message);
      return 1;
    }
  g_print ("%-32s %-7s %-8s %s\n", "NAME", "ROLE", "STATE", "SPECIALTIES");
  for (guint i = 0; i < accounts->len; i++)
    {
      LmsAccount *account = accounts->pdata[i];
      g_autofree char *specialties = g_strjoinv (",", account->specialties);

      g_print ("%-32s %-7s %-8s %s\n", account->name, lm_role_to_string (account->role),
               account->revoked ? "revoked" : "active", *specialties ? specialties : "-");
    }
  return 0;
}

static int
account_revoke (LmsDb *db, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  if (argc != 2)
    {
      g_printerr ("account revoke: give exactly one account name\n");
      return 2;
    }
  if (!lms_db_account_revoke (db, argv[1], &error))
    {
      g_printerr ("account revoke: %s\n", error->message);
      return 1;
    }
  g_print ("revoked %s\n", argv[1]);
  return 0;
}

int
lms_accounts_cli (const char *db_path, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LmsDb) db = NULL;
  const char *verb = argc > 1 ? argv[1] : NULL;

  if (!verb || g_str_equal (verb, "--help") || g_str_equal (verb, "-h") || g_str_equal (verb, "help"))
    {
      fputs (usage, verb ? stdout : stderr);
      return verb ? 0 : 2;
    }
  if (!g_str_equal (verb, "add") && !g_str_equal (verb, "list") && !g_str_equal (verb, "revoke"))
    {
      g_printerr ("account: unknown command '%s'\n\n%s", verb, usage);
      return 2;
    }
  db = lms_db_open (db_path, &error);
  if (!db)
    {
      g_printerr ("account %s: %s\n", verb, error->message);
      return 1;
    }
  if (g_str_equal (verb, "add"))
    return account_add (db, argc - 1, argv + 1);
  if (g_str_equal (verb, "list"))
    return account_list (db);
  return account_revoke (db, argc - 1, argv + 1);
}
