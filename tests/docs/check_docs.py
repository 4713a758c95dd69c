#!/usr/bin/env python3
"""Check that the documents name what the code has (classes of drift the merges leave).

1. Every option of src/config.c (its `opts[]` table) is a row of README.md's configuration
   table with the same environment variable and default, and every row there is an option.
2. Every error code the server sends as a literal (`sk_reply_error(req, STATUS, "code", ...)`
   in src/, or a row `{ "rule", STATUS, "code", ... }` of a handler's table of database
   rules) is a row of docs/api.md's "Error codes" table, with the same status, and every row
   there is a code the server sends (or one of the few sent another way, listed below).
   A rule raised by a SQL function in sql/ that no handler maps goes out under its own name:
   it must be a row too.
3. Every route of src/http/routes.c is named in docs/api.md (as `METHOD /path`, with or
   without /api/v1; a {parameter} may have another name).
4. README.md's layout names every folder of src/ and tests/, every file of scripts/ and
   every bench/*.sh.
5. Every `--flag` that README.md and docs/ (but operations.md and performance.md) name is an
   option of src/config.c or a command's own flag (OTHER_FLAGS).

Usage: tests/docs/check_docs.py   (run from anywhere; Python 3, no other module)
Prints one line per disagreement and exits 1 if there is any, 0 otherwise.
"""
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Codes in the table that src/ does not send through a literal sk_reply_error: name where.
CODES_SENT_OTHERWISE = {
}


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def strip_c_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def check_config(problems):
    src = strip_c_comments(read("src/config.c"))
    table = src[src.index("opts[] = {"):]
    table = table[:table.index("\n};")]
    opt = re.compile(r'\{\s*"([a-z0-9-]+)"\s*,\s*"([A-Z0-9_]+)"\s*,\s*OPT_\w+\s*,\s*O\(\w+\)\s*,\s*'
                     r'(NULL|"[^"]*")')
    opts = {m.group(1): (m.group(2), None if m.group(3) == "NULL" else m.group(3)[1:-1])
            for m in opt.finditer(table)}
    if table.count("O(") != len(opts):
        problems.append("src/config.c: some opts[] entries did not parse: update tests/docs/check_docs.py")
    readme = read("README.md")
    rows = {}
    for line in readme.splitlines():
        m = re.match(r"\|\s*`--([a-z0-9-]+)`\s*\|\s*`([A-Z0-9_]+)`\s*\|\s*([^|]*)\|", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3).strip())
    for flag, (env, default) in opts.items():
        if flag not in rows:
            problems.append(f"README.md: the configuration table has no row for --{flag} (src/config.c)")
            continue
        r_env, r_def = rows[flag]
        if r_env != env:
            problems.append(f"README.md: --{flag} is read from {env}, the table says {r_env}")
        if default is None:
            if not (r_def.startswith("(none") or "`--" in r_def):  # none, or one computed from a flag
                problems.append(f"README.md: --{flag} has no default in src/config.c, the table says {r_def}")
        elif not r_def.startswith(f"`{default}`"):
            problems.append(f"README.md: --{flag} defaults to `{default}`, the table says {r_def}")
    for flag in rows:
        if flag not in opts:
            problems.append(f"README.md: the configuration table lists --{flag}, which src/config.c does not have")


def sent_codes():
    """{code: {status, ...}} of the literal codes passed to sk_reply_error in src/."""
    codes = {}
    call = re.compile(r'sk_reply_error\s*\(\s*\w+\s*,\s*(\d{3})\s*,\s*"([a-z_]+)"'
                      # a handler's table from a database rule to a reply: { "rule", 409, "code", ...
                      r'|\{\s*"[a-z_]+"\s*,\s*(\d{3})\s*,\s*"([a-z_]+)"')
    for dirpath, _, files in os.walk(os.path.join(ROOT, "src")):
        for name in files:
            if name.endswith(".c"):
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    text = strip_c_comments(f.read())
                for m in call.finditer(text):
                    status, code = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
                    codes.setdefault(code, set()).add(int(status))
    return codes


def check_error_codes(problems):
    api = read("docs/api.md")
    start = api.index("\n## Error codes")
    section = api[start:api.index("\n## ", start + 1)]
    table = {}
    for line in section.splitlines():
        m = re.match(r"\|\s*`([a-z_]+)`\s*\|\s*([0-9, ]+)\s*\|", line)
        if m:
            if m.group(1) in table:
                problems.append(f"docs/api.md: error code `{m.group(1)}` has two rows")
            table[m.group(1)] = {int(s) for s in re.findall(r"\d{3}", m.group(2))}
    codes = sent_codes()
    for code, statuses in sorted(codes.items()):
        if code not in table:
            problems.append(f"docs/api.md: the error-code table lacks `{code}` (sent with {sorted(statuses)})")
        elif not statuses <= table[code]:
            problems.append(f"docs/api.md: `{code}` is sent with {sorted(statuses)}, the table says {sorted(table[code])}")
    # A rule a SQL function raises (`PERFORM rule('name')`) that no handler maps to a reply of
    # its own goes out under its own name (409): it must be in the table too.
    http = ""
    for name in sorted(os.listdir(os.path.join(ROOT, "src", "http"))):
        if name.endswith(".c"):
            http += strip_c_comments(read(f"src/http/{name}"))
    for name in sorted(os.listdir(os.path.join(ROOT, "sql"))):
        if name.endswith(".sql"):
            for rule in sorted(set(re.findall(r"\brule\('([a-z_]+)'", read(f"sql/{name}")))):
                if rule not in table and f'"{rule}"' not in http:
                    problems.append(f"docs/api.md: the error-code table lacks `{rule}` (sql/{name} raises it "
                                    "and no handler in src/http maps it: it goes out as a 409 of that name)")
    # The reverse proxy's own replies (deploy/haproxy.cfg, http-error ... '{"error":{"code":"…"') are
    # documented in the same table.
    proxy = set(re.findall(r'"code":"([a-z_]+)"', read("deploy/haproxy.cfg")))
    for code in sorted(proxy):
        if code not in table:
            problems.append(f"docs/api.md: the error-code table lacks `{code}` (deploy/haproxy.cfg answers it)")
    for code in table:
        if code not in codes and code not in proxy and code not in CODES_SENT_OTHERWISE:
            problems.append(f"docs/api.md: the error-code table lists `{code}`, which src/ never sends as a literal")


def check_routes(problems):
    src = strip_c_comments(read("src/http/routes.c"))
    api = read("docs/api.md")
    for m in re.finditer(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,', src):
        method, path = m.group(1), m.group(2)
        short = path[len("/api/v1"):] if path.startswith("/api/v1") else path
        # a {parameter} may be named otherwise, or spelt out (`{id}-{hash}.webp` for `{name}`)
        pattern = "".join(r"\{[^`|\s]+" if part.startswith("{") else re.escape(part)
                          for part in re.split(r"(\{[^}]+\})", short) if part)
        if not re.search(rf"\b{method}\s+(?:/api/v1)?{pattern}(?![\w/{{-])", api):
            problems.append(f"docs/api.md: route {method} {path} (src/http/routes.c) is not named")


def check_layout(problems):
    """Every folder of src/ and tests/, every script and every bench/*.sh is in README's layout."""
    readme = read("README.md")
    start = readme.index("\n## Layout")
    layout = readme[start:readme.index("\n## ", start + 1)]
    names = []
    for top in ("src", "tests"):
        for name in sorted(os.listdir(os.path.join(ROOT, top))):
            if os.path.isdir(os.path.join(ROOT, top, name)):
                names.append((f"{top}/{name}/", f"{top}/{name}/"))
    for name in sorted(os.listdir(os.path.join(ROOT, "scripts"))):
        names.append((f"scripts/{name}", name))
    for name in sorted(os.listdir(os.path.join(ROOT, "bench"))):
        if name.endswith(".sh"):
            names.append((f"bench/{name}", name))
    for path, word in names:
        if not re.search(rf"(?<![\w/.-]){re.escape(word)}(?![\w-])", layout):
            problems.append(f"README.md: the layout does not name {path}")


# Flags the documents may name that are not server options: subcommands' and tools' own.
OTHER_FLAGS = {"campaign", "login", "name", "password-stdin", "help", "version",  # src/main.c, cli_*.c
               "seconds",  # scripts/fuzz
               "test"}  # node --test


def check_flags_named(problems):
    """Every `--flag` the user-facing documents name is a server option or a command's own flag."""
    src = read("src/config.c")
    for doc in ("README.md", "docs/api.md", "docs/architecture.md", "docs/guide-vi.md",
                "docs/openapi.yaml", "docs/ranking.md"):
        for flag in sorted(set(re.findall(r"(?:^|[^\w`!-])`?--([a-z][a-z0-9-]+)", read(doc), re.M))):
            if flag not in OTHER_FLAGS and f'"{flag}"' not in src:
                problems.append(f"{doc}: names --{flag}, which is not an option in src/config.c")


def main():
    problems = []
    check_config(problems)
    check_layout(problems)
    check_flags_named(problems)
    check_error_codes(problems)
    check_routes(problems)
    for p in problems:
        print(p)
    if not problems:
        print("docs agree with src/config.c, the error codes sent, the route table and the tree")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
