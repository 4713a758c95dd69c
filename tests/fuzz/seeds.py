#!/usr/bin/env python3
"""Writes the hand-made seed inputs (seed-*) of each corpus in tests/fuzz/corpus/<target>/:
small valid inputs the fuzzer starts from. Run again after changing it; the fuzzer's own
finds sit beside them under their SHA-1 names."""
import json, os, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---- images --------------------------------------------------------------
def seg(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def exif(orientation, big=True):
    e = ">" if big else "<"
    entries = [(0x0112, 3, 1, struct.pack(e + "HH", orientation, 0)),      # Orientation
               (0x010F, 2, 4, b"Cam\0"),                                      # Make
               (0x8825, 4, 1, struct.pack(e + "I", 0))]                       # GPS IFD pointer
    ifd = struct.pack(e + "H", len(entries))
    for tag, typ, count, value in entries:
        ifd += struct.pack(e + "HHI", tag, typ, count) + value
    ifd += struct.pack(e + "I", 0)
    tiff = (b"MM" if big else b"II") + struct.pack(e + "HI", 42, 8) + ifd
    return b"Exif\0\0" + tiff


JFIF = seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
DQT = seg(0xDB, b"\0" + bytes(range(1, 65)))
SOF0 = seg(0xC0, b"\x08\0\x08\0\x08\x01\x01\x11\0")
DHT = seg(0xC4, b"\0" + b"\0\x01" + b"\0" * 14 + b"\0")
SOS = seg(0xDA, b"\x01\x01\0\0\x3f\0")
SCAN = b"\x12\x34\xFF\x00\x56\xFF\xD0\x78\x9a"
EOI = b"\xFF\xD9"
write("image", "jpeg-exif-orientation.jpg",
      b"\xFF\xD8" + JFIF + seg(0xE1, exif(6)) + seg(0xE2, b"ICC_PROFILE\0\x01\x01abc")
      + seg(0xED, b"Photoshop 3.0\0IPTC") + seg(0xFE, b"camera owner") + DQT + SOF0 + DHT + SOS + SCAN + EOI
      + b"trailing")
write("image", "jpeg-exif-first-le.jpg",
      b"\xFF\xD8" + seg(0xE1, exif(3, big=False)) + seg(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x/>")
      + seg(0xEE, b"Adobe\0\x64\0\0\0\0\x01") + DQT + SOF0 + SOS + SCAN + b"\xFF\xFF" + EOI)
write("image", "jpeg-plain.jpg", b"\xFF\xD8" + JFIF + DQT + SOF0 + SOS + b"\x01\x02" + EOI)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


PNG_SIG = b"\x89PNG\r\n\x1a\n"
IHDR = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
IDAT = chunk(b"IDAT", zlib.compress(b"\0\xff\0\0"))
write("image", "png-text-exif.png",
      PNG_SIG + IHDR + chunk(b"tEXt", b"Author\0Nguy\xe1\xbb\x85n") + chunk(b"eXIf", exif(1)[6:])
      + chunk(b"tIME", b"\x07\xea\x0c\x07\x15\x2f\x00") + chunk(b"iTXt", b"GPS\0\0\0\0\0x") + IDAT
      + chunk(b"zTXt", b"c\0\0" + zlib.compress(b"x")) + chunk(b"IEND", b"") + b"after")
write("image", "png-plain.png", PNG_SIG + IHDR + IDAT + chunk(b"IEND", b""))


def riff(chunks):
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def wchunk(kind, data):
    return kind + struct.pack("<I", len(data)) + data + (b"\0" if len(data) & 1 else b"")


VP8L = wchunk(b"VP8L", b"\x2f\0\0\0\0\x07\x10\x11\x01")
write("image", "webp-vp8x-exif-xmp.webp",
      riff([wchunk(b"VP8X", b"\x0c\0\0\0\0\0\0\0\0\0"), VP8L, wchunk(b"EXIF", exif(8)[6:]),
            wchunk(b"XMP ", b"<x:xmpmeta/>")]) + b"junk")
write("image", "webp-simple.webp", riff([VP8L]))
write("image", "pdf.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

# ---- uploads: "Content-Type\nX-Filename\nbody" ----------------------------
with open(os.path.join(HERE, "corpus", "image", "seed-jpeg-exif-orientation.jpg"), "rb") as f:
    jpeg = f.read()
write("upload", "jpeg", b"image/jpeg\n%E1%BA%A2nh%20h%E1%BB%8Dp%20t%E1%BB%95.jpg\n" + jpeg)
write("upload", "png-path", b"image/png; charset=binary\nC:\\Users\\lan\\..\\anh.png\n" + PNG_SIG + IHDR + IDAT
      + chunk(b"IEND", b""))
write("upload", "webp-slash", b"IMAGE/WEBP\n..%2F..%2Fetc%2Fpasswd\n" + riff([VP8L]))
write("upload", "pdf-vietnamese", "application/pdf\nĐề xuất số hoá.pdf\n%PDF-1.7\n%%EOF\n")
write("upload", "mismatch", b"image/png\nx.png\n\xFF\xD8\xFF\xE0")
write("upload", "empty-name", b"image/jpeg\n\n\xFF\xD8\xFF\xD9")
# An iPhone photo (an ISO BMFF ftyp box with a HEIF brand), declared either way the server takes it.
ftyp = struct.pack(">I", 24) + b"ftypheic" + struct.pack(">I", 0) + b"mif1heic"
write("upload", "heic", b"image/heic\nIMG_0001.HEIC\n" + ftyp)
write("upload", "heif-declared", b"image/heif\nIMG_0002.heic\n" + ftyp)

# ---- JSON bodies: the first byte picks the field spec (see fuzz_json.c) --
bodies = [
    (0, {"login": "lan.nguyen", "password": "mật khẩu dài 123", "display_name": "Nguyễn Thị Lan", "ward_id": 1}),
    (0, {"login": "tuan", "password": "  spaces kept  ", "display_name": " Trần Tuấn\t", "ward_id": 2,
         "group_id": None}),
    (1, {"title": "Số hoá sổ hộ khẩu", "summary": "Dòng 1\r\nDòng 2", "households": 120, "tags": ["số", "y tế"]}),
    (1, {"group_id": 3, "problem": "Ca\u0301c thu\u0309 tu\u0323c", "title": "x"}),
    (2, {"scores": [{"criterion_id": 1, "score": 7}], "overall_comment": "Tốt", "version": 0, "submit": True}),
    (3, {"title": "Cuộc thi 2026", "rules": "Quy chế\n- một\n- hai", "blind_review": False, "reviews_required": 3,
         "extra": {"a": [1, {"b": None}]}}),
    (4, {"password": "p\u00e4ss"}),
]
for i, (spec, body) in enumerate(bodies):
    write("json", f"{i}", bytes([spec]) + json.dumps(body, ensure_ascii=(i % 2 == 0)).encode())
write("json", "duplicate", b"\x04{\"password\":\"a\",\"password\":\"b\"}")
write("json", "deep", b"\x03{\"title\":\"t\",\"extra\":" + b"[" * 40 + b"]" * 40 + b"}")
write("json", "unknown-key", b"\x04{\"password\":\"a\",\"admin\":true}")
write("json", "nul", b"\x04{\"password\":\"a\\u0000b\"}")

# ---- CSV tables: NUL ends a field, NUL NUL a row ------------------------
write("csv", "header", "Mã hồ sơ\0Trạng thái\0Tiêu đề\0Nhóm\0Tác giả\0Hỗ trợ\0Số hộ\0\0"
      "SK-7F3A\0Đã nộp\0Chuyển đổi số, \"thí điểm\"\0Y tế\0Nguyễn Văn A\0\0120")
write("csv", "formulas", "=1+1\0+33 123\0-8.5\0@SUM(A1)\0-cmd|' /C calc'!A0\0-1e5\0\0=HYPERLINK(\"x\")")
write("csv", "newlines", "dòng 1\ndòng 2\0a\r\nb\0\"\"\0,\0\0\0")

# ---- search: text to fold ------------------------------------------------
write("search", "vietnamese", "Chuyển Đổi  số! Phường Bến Nghé, Quận 1")
write("search", "nfd", "Chuye\u0302\u0309n \u0110o\u0302\u0309i")
write("search", "mixed", "İstanbul ǅemal ﬁle ß Ωmega 한국어 —“quote”— ١٢٣ ½")
write("search", "punct", "  ...---!!!  ")
write("search", "invalid", b"abc\xc3\x28\xed\xa0\x80")
