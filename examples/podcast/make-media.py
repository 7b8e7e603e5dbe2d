#!/usr/bin/env python3
"""Writes the example podcast's media: three short silent MP3 episodes and a 1400 x 1400 cover.

The files are committed (a few KB each); this script says how they were made, and running it
again writes the same bytes. Standard library only.

Each episode is MPEG-2 Layer III, 8 kbit/s, 16 kHz mono: frames of 576 silent samples (36 ms,
36 bytes: a header, zeroed side information and no audio data), so a second is 1000 bytes and
players, probes and parsers read the duration from the bitrate and the length. The cover is a
solid-colour PNG, the smallest picture Apple Podcasts accepts.

    python3 examples/podcast/make-media.py
"""

import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "feed-src"

# sync, MPEG-2, Layer III, no CRC | 8 kbit/s, 16 kHz, no padding | mono
FRAME_HEADER = bytes([0xFF, 0xF3, 0x18, 0xC0])
FRAME_BYTES = 36
FRAMES_PER_SECOND = 16000 / 576

EPISODES = {"ep1.mp3": 3, "ep2.mp3": 2, "ep3.mp3": 4}


def mp3(seconds: int) -> bytes:
    # Just under the whole seconds, which probes round up.
    frames = int(seconds * FRAMES_PER_SECOND)
    frame = FRAME_HEADER + bytes(FRAME_BYTES - len(FRAME_HEADER))
    return frame * frames


def png(side: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * side
    pixels = zlib.compress(row * side, 9)
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def main() -> None:
    for name, seconds in EPISODES.items():
        (SOURCE / "episodes" / name).write_bytes(mp3(seconds))
    (SOURCE / "cover.png").write_bytes(png(1400, (0x2E, 0x5E, 0xAA)))


if __name__ == "__main__":
    main()
