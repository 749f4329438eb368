import type { Duplex } from 'node:stream'
import sharp from 'sharp'

/**
 * A transform that decodes a JPEG or PNG and encodes it afresh: trailing bytes, EXIF (GPS),
 * XMP and comments are gone, orientation is applied to the pixels. limitInputPixels refuses
 * oversized images from the header before decoding.
 */
export function reencodeImage(type: string, maxPixels: number): Duplex {
  const image = sharp({ limitInputPixels: maxPixels, failOn: 'error', sequentialRead: true }).rotate()
  return type === 'image/png' ? image.png({ compressionLevel: 6 }) : image.jpeg({ quality: 90 })
}
