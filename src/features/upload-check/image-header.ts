/** Pixel dimensions read from the header bytes alone, before any decoder sees the image. */
export type Dimensions = { width: number; height: number }

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
// Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf])

/** Width and height of a PNG (IHDR) or JPEG (first SOF segment) in head, or null when not found there. */
export function imageDimensions(head: Buffer, type: string): Dimensions | null {
  if (type === 'image/png') return pngDimensions(head)
  if (type === 'image/jpeg') return jpegDimensions(head)
  return null
}

function pngDimensions(head: Buffer): Dimensions | null {
  if (head.length < 24 || !head.subarray(0, 8).equals(PNG_SIGNATURE)) return null
  if (head.toString('latin1', 12, 16) !== 'IHDR') return null
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) }
}

function jpegDimensions(head: Buffer): Dimensions | null {
  if (head[0] !== 0xff || head[1] !== 0xd8) return null
  let i = 2
  while (i + 4 <= head.length) {
    if (head[i] !== 0xff) return null
    const marker = head[i + 1] as number
    if (marker === 0xff) {
      i++
      continue
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2
      continue
    }
    if (SOF.has(marker)) {
      if (i + 9 > head.length) return null
      return { height: head.readUInt16BE(i + 5), width: head.readUInt16BE(i + 7) }
    }
    if (marker === 0xd9 || marker === 0xda) return null
    i += 2 + head.readUInt16BE(i + 2)
  }
  return null
}
