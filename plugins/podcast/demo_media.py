"""Demo artwork and audio, served by the plug-in itself so the demo show can be published.

Apple's rules make publishing fetch the show's artwork (square, 1400-3000 px, RGB JPEG or PNG)
and, optionally, check the audio host (HEAD, byte ranges, the same length). The annual report
gives neither file, so the demo points at these two routes instead of unreachable placeholders:

- ``GET /plugins/podcast/demo-media/artwork.png``: a 1400x1400 RGB PNG drawn with Pillow at the
  first request (a few kilobytes; nothing binary is committed);
- ``GET /plugins/podcast/demo-media/<name>.mp3``: ten seconds of silence as valid MPEG-1 Layer III
  frames (32 kbit/s mono), answering HEAD and ``Range`` requests (206) as podcast hosts must.

Development only in effect: these URLs are on the server's own address (loopback), which the
publishing checks fetch only outside production (``IMM_ENVIRONMENT`` not ``production``). In
production the checks stay strict: public addresses only, so real artwork and audio are needed.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont
from starlette.requests import Request
from starlette.responses import Response

from imm_graph.plugin_api import problem

PREFIX = "/demo-media"
ARTWORK_SIZE = 1400
SILENCE_SECONDS = 10
# MPEG-1 Layer III, no CRC; 32 kbit/s, 44.1 kHz, no padding; mono. A frame is 1152 samples:
# 144 * 32000 / 44100 = 104 bytes: the 4-byte header, 17 bytes of side information (all zero:
# no main data, so decoders play silence), then zeros.
_FRAME_HEADER = bytes([0xFF, 0xFB, 0x50, 0xC0])
_FRAME_BYTES = 144 * 32_000 // 44_100
_MP3 = re.compile(r"^[a-z0-9-]{1,64}\.mp3$")


def media_base(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/plugins/podcast{PREFIX}"


@lru_cache(maxsize=1)
def artwork_png() -> bytes:
    """The Talking Generations square: two generations' circles meeting, in IMM's teal."""
    size = ARTWORK_SIZE
    image = Image.new("RGB", (size, size), (14, 110, 118))
    draw = ImageDraw.Draw(image)
    draw.ellipse((180, 330, 820, 970), fill=(250, 196, 72))
    draw.ellipse((580, 330, 1220, 970), fill=(242, 120, 96))
    draw.ellipse((580, 330, 820, 970), fill=(247, 160, 84))
    font = ImageFont.load_default(size=110)
    draw.text((size // 2, 1130), "Talking Generations", fill=(255, 255, 255), font=font,
              anchor="mm")
    draw.text((size // 2, 1260), "Intergenerational Music Making", fill=(210, 238, 240),
              font=ImageFont.load_default(size=56), anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@lru_cache(maxsize=1)
def silent_mp3(seconds: int = SILENCE_SECONDS) -> bytes:
    frames = -(-seconds * 44_100 // 1152)  # rounded up
    frame = _FRAME_HEADER + bytes(_FRAME_BYTES - len(_FRAME_HEADER))
    return frame * frames


def _ranged(request: Request, body: bytes, media_type: str) -> Response:
    """200, or 206 for one ``bytes=a-b`` range (416 when outside); HEAD gets the headers only."""
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "public, max-age=86400",
               "Access-Control-Allow-Origin": "*"}
    status, part = 200, body
    wanted = request.headers.get("range", "")
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", wanted.strip())
    if match and (match[1] or match[2]):
        total = len(body)
        if match[1]:
            start, end = int(match[1]), int(match[2]) if match[2] else total - 1
        else:  # the last N bytes
            start, end = max(total - int(match[2]), 0), total - 1
        end = min(end, total - 1)
        if start > end:
            return Response(status_code=416, headers={**headers,
                                                      "Content-Range": f"bytes */{total}"})
        status, part = 206, body[start:end + 1]
        headers["Content-Range"] = f"bytes {start}-{end}/{total}"
    headers["Content-Length"] = str(len(part))
    content = b"" if request.method == "HEAD" else part
    return Response(content, status_code=status, media_type=media_type, headers=headers)


async def artwork(request: Request) -> Response:
    return _ranged(request, artwork_png(), "image/png")


async def audio(request: Request) -> Response:
    name = request.path_params["name"]
    if not _MP3.match(name):
        return problem(404, "Not Found", "no such demo audio file", code="not_found")
    return _ranged(request, silent_mp3(), "audio/mpeg")
