#!/usr/bin/env bash
# Builds the book (book/) with mdBook and checks it:
#   1. `mdbook build book` must print no ERROR or WARN line (a missing {{#include}} file or
#      anchor is a WARN in mdBook, and would otherwise leave a hole in a listing);
#   2. every relative href/src in book/build/**/*.html must name an existing file, and a
#      #fragment into another page must name an id that page has.
# Installs mdBook when missing (scripts/install-tools.sh book). Exits 1 on any problem.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-tools.sh book
export PATH="$HOME/.cargo/bin:$PATH"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
mdbook build book >"$log" 2>&1 || status=$?
cat "$log"
if [ "$status" -ne 0 ]; then
  echo "book: mdbook build failed (exit $status)" >&2
  exit 1
fi
if grep -E '(^|[[:space:]])(ERROR|WARN)([[:space:]]|$)' "$log" >/dev/null; then
  echo "book: mdbook printed errors or warnings:" >&2
  grep -E '(^|[[:space:]])(ERROR|WARN)([[:space:]]|$)' "$log" >&2
  exit 1
fi

python3 - book/build <<'PY'
import os, re, sys
from html.parser import HTMLParser
from urllib.parse import urlsplit, unquote

root = os.path.abspath(sys.argv[1])

class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.ids = [], set()
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ('id', 'name') and v:
                self.ids.add(v)
            if k in ('href', 'src') and v is not None:
                self.links.append((tag, k, v))

pages = {}
for d, _, files in os.walk(root):
    for f in files:
        if f.endswith('.html'):
            p = os.path.join(d, f)
            parser = Page()
            with open(p, encoding='utf-8') as fh:
                parser.feed(fh.read())
            pages[os.path.abspath(p)] = parser

scheme = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:')
broken, checked = [], 0
for path, page in sorted(pages.items()):
    rel = os.path.relpath(path, root)
    for tag, attr, url in page.links:
        url = url.strip()
        if not url or url.startswith('#') or url.startswith('//') or scheme.match(url):
            continue
        parts = urlsplit(url)
        target = unquote(parts.path)
        if not target:
            continue
        checked += 1
        full = os.path.normpath(os.path.join(os.path.dirname(path), target))
        if os.path.isdir(full):
            full = os.path.join(full, 'index.html')
        if not os.path.exists(full):
            broken.append(f'{rel}: <{tag} {attr}="{url}">: no file {os.path.relpath(full, root)}')
            continue
        frag = unquote(parts.fragment)
        if frag and full.endswith(".html"):
            t = pages.get(os.path.abspath(full))
            if t is not None and frag not in t.ids:
                broken.append(f'{rel}: <{tag} {attr}="{url}">: no id "{frag}" in {os.path.relpath(full, root)}')

for b in broken:
    print('broken link:', b, file=sys.stderr)
print(f'book: {len(pages)} pages, {checked} internal links checked')
sys.exit(1 if broken else 0)
PY
