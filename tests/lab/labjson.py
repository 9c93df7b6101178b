# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The lastmile developers
"""JSON and HTTP for test-nat.sh, with nothing but python3 (which meson needs
anyway), so the lab does not depend on jq or curl.

  labjson.py field FILE KEY       print a member of the object in FILE ("-":
                                  stdin); nothing for null/missing. KEY may be
                                  a path, "quality/relay:NAME/samples"
  labjson.py get URL              GET URL with "Authorization: Bearer $LAB_TOKEN"
                                  (not an argument: it would show in ps), print
                                  the body; exit 1 on any error
  labjson.py online FILE ROLE NAME
                                  exit 0 if /api/v1/live (in FILE) lists NAME
                                  among the online ROLEs (clinics|doctors)
"""
import json
import os
import sys
import urllib.error
import urllib.request


def load(path):
    if path == "-":
        return json.load(sys.stdin)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def field(path, key):
    try:
        value = load(path)
        for part in key.split("/"):
            value = value.get(part) if value is not None else None
    except (OSError, ValueError, AttributeError):
        return 1
    if value is None:
        return 0
    print(json.dumps(value) if isinstance(value, (dict, list)) else value)
    return 0


def get(url):
    token = os.environ.get("LAB_TOKEN", "")
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            sys.stdout.write(response.read().decode("utf-8"))
        return 0
    except (urllib.error.URLError, OSError) as e:
        print("GET %s: %s" % (url, e), file=sys.stderr)
        return 1


def online(path, role, name):
    try:
        entries = load(path).get("online", {}).get(role, [])
    except (OSError, ValueError, AttributeError):
        return 1
    names = [e.get("name") if isinstance(e, dict) else e for e in entries]
    return 0 if name in names else 1


def main(argv):
    commands = {"field": (field, 2), "get": (get, 1), "online": (online, 3)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        sys.exit(__doc__)
    function, _ = commands[argv[1]]
    return function(*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
