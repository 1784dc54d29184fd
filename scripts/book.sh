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

# mdBook includes an unknown anchor as nothing, silently: check every {{#include file:anchor}}
# names a file with that `ANCHOR:` marker and its `ANCHOR_END:`.
python3 - book/src <<'PY'
import os, re, sys
src = sys.argv[1]
bad, n = [], 0
inc = re.compile(r'\{\{#(?:include|rustdoc_include)\s+([^}\s]+)\s*\}\}')
for d, _, files in os.walk(src):
    for f in files:
        if not f.endswith('.md'):
            continue
        md = os.path.join(d, f)
        for m in inc.finditer(open(md, encoding='utf-8').read()):
            n += 1
            spec = m.group(1)
            path, _, anchor = spec.partition(':')
            full = os.path.normpath(os.path.join(d, path))
            if not os.path.isfile(full):
                bad.append(f'{md}: {spec}: no file {full}')
                continue
            if anchor and not re.fullmatch(r'[0-9:]*', anchor):
                text = open(full, encoding='utf-8').read()
                if not re.search(r'ANCHOR:\s*' + re.escape(anchor) + r'\b', text) or \
                   not re.search(r'ANCHOR_END:\s*' + re.escape(anchor) + r'\b', text):
                    bad.append(f'{md}: {spec}: no ANCHOR/ANCHOR_END "{anchor}" in {full}')
for b in bad:
    print('broken include:', b, file=sys.stderr)
print(f'book: {n} includes checked')
sys.exit(1 if bad else 0)
PY

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
        self.links, self.ids, self.base = [], set(), None
    def handle_starttag(self, tag, attrs):
        if tag == 'base':
            # mdBook's 404.html has <base href="/">: its links resolve from the site root.
            self.base = dict(attrs).get('href')
            return
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
    base_dir = os.path.dirname(path)
    if page.base and page.base.startswith('/'):
        base_dir = os.path.normpath(os.path.join(root, page.base.lstrip('/')))
    for tag, attr, url in page.links:
        url = url.strip()
        if not url or url.startswith('#') or url.startswith('//') or scheme.match(url):
            continue
        parts = urlsplit(url)
        target = unquote(parts.path)
        if not target:
            continue
        checked += 1
        full = os.path.normpath(os.path.join(base_dir, target))
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
