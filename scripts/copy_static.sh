#!/usr/bin/env bash
# Copy the front-end libraries from node_modules (installed by `npm ci`) into
# wangge/static/vendor/. Third-party files are never committed; `make static` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

src=node_modules
dst=wangge/static/vendor
for needed in leaflet/dist @geoman-io/leaflet-geoman-free/dist htmx.org/dist echarts/dist; do
  if [ ! -d "$src/$needed" ]; then
    echo "copy_static: $src/$needed is missing; run 'npm ci' first" >&2
    exit 1
  fi
done

rm -rf "$dst"
mkdir -p "$dst/leaflet" "$dst/leaflet-geoman" "$dst/htmx" "$dst/echarts"

# Leaflet: script, stylesheet and the marker/layer images the stylesheet refers to. The source
# maps go too: the files name them, and collectstatic's hashed names need every reference to exist.
cp "$src/leaflet/dist/leaflet.js" "$src/leaflet/dist/leaflet.js.map" "$src/leaflet/dist/leaflet.css" "$dst/leaflet/"
cp -r "$src/leaflet/dist/images" "$dst/leaflet/images"

# Leaflet-Geoman (free): the grid editor's drawing and editing tools.
cp "$src/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js" \
   "$src/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js.map" \
   "$src/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css" \
   "$src/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css.map" "$dst/leaflet-geoman/"

cp "$src/htmx.org/dist/htmx.min.js" "$dst/htmx/"
cp "$src/echarts/dist/echarts.min.js" "$dst/echarts/"

echo "copy_static: vendor libraries copied into $dst"
