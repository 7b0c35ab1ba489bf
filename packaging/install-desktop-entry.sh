#!/usr/bin/env bash
# Put the packaged app in this user's application menu: the desktop entry (its Exec pointing
# at this folder's clienteling) and the icon, under ~/.local/share. Run from the unpacked folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$data/applications" "$data/icons/hicolor/256x256/apps" "$data/icons/hicolor/scalable/apps"
cp "$here/clienteling.png" "$data/icons/hicolor/256x256/apps/clienteling.png"
cp "$here/clienteling.svg" "$data/icons/hicolor/scalable/apps/clienteling.svg"
sed "s|^Exec=.*|Exec=\"$here/clienteling\"|" "$here/clienteling.desktop" \
  > "$data/applications/clienteling.desktop"
echo "Clienteling is in the application menu ($data/applications/clienteling.desktop)"
