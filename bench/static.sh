#!/usr/bin/env bash
# bench/static.sh: bytes a browser transfers for proposal.html and the static files it loads
# (CSS, favicon, i18n/vi.json, the JS modules it imports), on a first visit and on a repeat
# visit (If-None-Match with the tags of the first). Usage: bench/static.sh http://127.0.0.1:PORT
# Prints per-file and total bytes (headers + body) with and without Accept-Encoding: gzip.
set -euo pipefail
base=${1:?base URL}
files=(proposal.html css/app.css favicon.svg i18n/vi.json js/api.js js/dialog.js js/dom.js js/form.js
  js/format.js js/i18n.js js/layout.js js/proposal.js js/session.js js/ui.js)
visit() { # $1: extra Accept-Encoding header or empty
  local first=0 repeat=0 body=0
  for f in "${files[@]}"; do
    local h=(); [[ -n $1 ]] && h=(-H "$1")
    read -r hb sz < <(curl -s -o /dev/null -D /tmp/static-bench.h "${h[@]}" -w '%{size_header} %{size_download}\n' "$base/$f")
    local tag; tag=$(grep -i '^etag:' /tmp/static-bench.h | cut -d' ' -f2- | tr -d '\r')
    first=$((first + hb + sz)); body=$((body + sz))
    read -r hb2 sz2 code < <(curl -s -o /dev/null "${h[@]}" -H "If-None-Match: $tag" -w '%{size_header} %{size_download} %{http_code}\n' "$base/$f")
    repeat=$((repeat + hb2 + sz2))
    printf '%-18s %7d body  repeat %s %5d bytes\n' "$f" "$sz" "$code" $((hb2 + sz2))
  done
  printf 'first visit: %d bytes (%d of bodies); repeat visit: %d bytes\n' "$first" "$body" "$repeat"
  rm -f /tmp/static-bench.h
}
echo "== without Accept-Encoding"; visit ""
echo "== with Accept-Encoding: gzip, deflate, br"; visit "Accept-Encoding: gzip, deflate, br"
