// Shrinks a photo in the browser before it is uploaded (issue 11): a 50 MP
// gallery photo becomes a JPEG of a few hundred kilobytes, long side at most
// LONG_SIDE px, so a cheap phone on a data plan can send it. PDFs, small
// photos and anything the browser cannot decode (e.g. HEIC in Chromium) go as
// they are: the server decides, and its size cap stays the last guard.

export const LONG_SIDE = 2048;
export const QUALITY = 0.85;
/** A photo at most this large, whose long side fits, is sent untouched. */
export const SMALL_BYTES = 1024 * 1024;

// HEIC/HEIF: Safari decodes them (the photo is then sent as a JPEG); where the browser cannot
// (Chromium), decode() throws and the original goes to the server, which converts it.
const DECODABLE = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif']);

async function decode(file) {
  if (typeof createImageBitmap === 'function') {
    try {
      return await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      // fall through to <img>
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

function toBlob(canvas, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
}

/** The JPEG name for a shrunk file: "ảnh.png" -> "ảnh.jpg". */
export function jpegName(name) {
  const base = String(name || 'photo').replace(/\.[^./\\]*$/, '');
  return `${base || 'photo'}.jpg`;
}

/**
 * Resolves to the File to upload: file itself, or a smaller JPEG of it.
 * Never rejects: any failure sends the original.
 */
export async function shrinkPhoto(file) {
  if (!file || !DECODABLE.has(file.type)) return file;
  let bitmap = null;
  try {
    bitmap = await decode(file);
    const w = bitmap.width || bitmap.naturalWidth;
    const h = bitmap.height || bitmap.naturalHeight;
    if (!w || !h) return file;
    const scale = Math.min(1, LONG_SIDE / Math.max(w, h));
    if (scale === 1 && file.size <= SMALL_BYTES) return file;
    const cw = Math.max(1, Math.round(w * scale));
    const ch = Math.max(1, Math.round(h * scale));
    const canvas = document.createElement('canvas');
    canvas.width = cw;
    canvas.height = ch;
    const ctx = canvas.getContext('2d');
    if (!ctx) return file;
    ctx.fillStyle = '#fff'; // transparent PNG areas become white, not black
    ctx.fillRect(0, 0, cw, ch);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, cw, ch);
    const blob = await toBlob(canvas, QUALITY);
    canvas.width = 0;
    canvas.height = 0;
    if (!blob || blob.size === 0 || blob.size >= file.size) return file;
    return new File([blob], jpegName(file.name), { type: 'image/jpeg', lastModified: file.lastModified });
  } catch {
    return file;
  } finally {
    if (bitmap && typeof bitmap.close === 'function') bitmap.close();
  }
}
