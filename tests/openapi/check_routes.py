#!/usr/bin/env python3
"""Check that the route table (src/http/routes.c) and docs/openapi.yaml agree.

Every route {METHOD, PATH, ...} in sk_routes[] must be the operation PATH/method in
the OpenAPI document, and every operation in the document must be a route. For each
route found in both, the operation's operationId must be the route's handler name, and
the operation must be public (`security: []`, or `{}` among the alternatives) exactly when the route is SK_PUBLIC.

Usage: tests/openapi/check_routes.py [ROUTES_C [OPENAPI_YAML]]  (run from anywhere)
Prints one line per disagreement and exits 1 if there is any, 0 otherwise.
Needs Python 3 and PyYAML (Debian: python3-yaml).
"""
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def strip_c_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def read_routes(path):
    """{(METHOD, path): (access, handler, line)} from the sk_routes[] initialiser."""
    text = strip_c_comments(open(path, encoding="utf-8").read())
    start = re.search(r"\bsk_routes\s*\[\s*\]\s*=\s*\{", text)
    if not start:
        sys.exit(f"{path}: no `sk_routes[] = {{` initialiser found")
    routes = {}
    problems = []
    entry = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*\}')
    body_end = text.find("};", start.end())
    body = text[start.end():body_end]
    for m in entry.finditer(body):
        line = text.count("\n", 0, start.end() + m.start()) + 1
        key = (m.group(1), m.group(2))
        if key in routes:
            problems.append(f"{path}:{line}: route {key[0]} {key[1]} is listed twice")
        routes[key] = (m.group(3), m.group(5), line)
    # Anything that looks like an entry but did not parse would silently escape the check.
    if body.count('{ "') != len(list(entry.finditer(body))):
        problems.append(f"{path}: some sk_routes[] entries are not of the form "
                        '{ "METHOD", "/path", ACCESS, BODY, handler }: update check_routes.py')
    return routes, problems


def read_operations(path):
    """{(METHOD, path): operation} from the document's paths."""
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is missing: apt-get install python3-yaml")
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    ops = {}
    for p, item in (doc.get("paths") or {}).items():
        for method, op in (item or {}).items():
            if method in METHODS:
                ops[(method.upper(), p)] = op or {}
    return doc, ops


def main(argv):
    routes_c = argv[1] if len(argv) > 1 else os.path.join(ROOT, "src/http/routes.c")
    openapi = argv[2] if len(argv) > 2 else os.path.join(ROOT, "docs/openapi.yaml")
    routes, problems = read_routes(routes_c)
    doc, ops = read_operations(openapi)
    global_security = doc.get("security")
    rel_c = os.path.relpath(routes_c)
    rel_y = os.path.relpath(openapi)

    for (method, p), (access, handler, line) in sorted(routes.items(), key=lambda kv: kv[1][2]):
        op = ops.get((method, p))
        if op is None:
            problems.append(f"{rel_c}:{line}: route {method} {p} ({handler}) is not in {rel_y}")
            continue
        if op.get("operationId") != handler:
            problems.append(f"{rel_y}: {method} {p}: operationId is {op.get('operationId')!r}, "
                            f"the route's handler is {handler!r}")
        # Public: no requirement, or an empty one ({}) among the alternatives (an
        # optional session). An operation without `security` inherits the document's.
        security = op.get("security", global_security)
        public_in_doc = not security or {} in security
        if access == "SK_PUBLIC" and not public_in_doc:
            problems.append(f"{rel_y}: {method} {p}: the route is SK_PUBLIC but the operation "
                            "is not public (`security: []`, or `{}` among its alternatives)")
        elif access != "SK_PUBLIC" and public_in_doc:
            problems.append(f"{rel_y}: {method} {p}: the route is {access} but the operation "
                            "is public in the document (no security requirement, or `{}` among them)")
    for (method, p), op in sorted(ops.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if (method, p) not in routes:
            problems.append(f"{rel_y}: {method} {p} ({op.get('operationId', 'no operationId')}) "
                            f"is not a route in {rel_c}")

    for line in problems:
        print(line)
    if problems:
        print(f"routes vs OpenAPI: {len(problems)} disagreement(s) "
              f"({len(routes)} routes, {len(ops)} operations)")
        return 1
    print(f"routes vs OpenAPI: {len(routes)} routes, {len(ops)} operations, all agree")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
