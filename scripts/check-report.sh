#!/usr/bin/env bash
# Renders an Oddity HTML report in headless Chromium with the network cut off and checks that
# the screenshot is not blank: the report must be self-contained.
#
#   scripts/check-report.sh oddity-demo/report/report.html [SCREENSHOT.png]
#
# Needs chromium (Debian: apt-get install chromium). Exit 0: rendered, non-blank; 1: blank or
# failed; 2: usage or chromium missing.
set -euo pipefail
report="${1:?usage: scripts/check-report.sh REPORT.html [SCREENSHOT.png]}"
shot="${2:-${report%.html}.png}"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$browser" ] || { echo "check-report: chromium not found (apt-get install chromium)" >&2; exit 2; }
[ -f "$report" ] || { echo "check-report: $report: no such file" >&2; exit 2; }
# Any request leaving the machine goes to a closed local port and fails.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --proxy-server="http://127.0.0.1:9" --proxy-bypass-list="<-loopback>" \
    --window-size=1200,1600 --screenshot="$shot" "file://$(realpath "$report")" >/dev/null 2>&1
python3 - "$shot" <<'PY'
import sys, zlib, struct
# Decode the PNG (8-bit RGB/RGBA, no external modules) and count non-white pixels.
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        ch = {2: 3, 6: 4}[ctype]
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride, prev, dark = zlib.decompress(idat), w * ch, bytearray(w * ch), 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - ch] if i >= ch else 0
        b, c = prev[i], prev[i - ch] if i >= ch else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    dark += sum(1 for x in range(0, stride, ch) if min(line[x:x + 3]) < 200)
    prev = line
frac = dark / (w * h)
print(f"check-report: {sys.argv[1]}: {w}x{h}, {100 * frac:.1f} % non-white pixels")
sys.exit(0 if frac > 0.01 else 1)
PY
