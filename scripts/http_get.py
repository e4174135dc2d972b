#!/usr/bin/env python3
"""Small helpers for the scripts: GET/POST a control URL of lts-local and print JSON."""
import json
import sys
import urllib.request


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: http_get.py URL [POST-JSON-BODY]")
    url = sys.argv[1]
    data = sys.argv[2].encode() if len(sys.argv) > 2 else None
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(req, timeout=10) as resp:
        print(json.dumps(json.load(resp), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
