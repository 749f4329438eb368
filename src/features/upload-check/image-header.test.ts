import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { imageDimensions } from './image-header.ts'

describe('imageDimensions', () => {
  it('reads PNG and JPEG sizes from the header, also behind an EXIF segment', async () => {
    const make = sharp({ create: { width: 123, height: 45, channels: 3, background: '#000' } })
    const png = await make.clone().png().toBuffer()
    const jpeg = await make
      .clone()
      .jpeg()
      .withExif({ IFD0: { Copyright: 'x'.repeat(2000) } })
      .toBuffer()
    expect(imageDimensions(png, 'image/png')).toEqual({ width: 123, height: 45 })
    expect(imageDimensions(jpeg, 'image/jpeg')).toEqual({ width: 123, height: 45 })
  })

  it('gives null for bytes that are no such image or end before the frame header', async () => {
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .jpeg()
      .toBuffer()
    expect(imageDimensions(Buffer.from('not an image at all, really'), 'image/png')).toBeNull()
    expect(imageDimensions(jpeg.subarray(0, 20), 'image/jpeg')).toBeNull()
  })
})
