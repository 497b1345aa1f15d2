// The same round trip in real Chromium: importing encoding.test.ts runs all of its cases here too
// (300 property runs instead of 1000, against Chromium's own structuredClone), plus what only a
// page has: Blob, File, ImageBitmap and DOM nodes, which structured clone carries (or refuses)
// and text cannot.
import { describe, expect, it } from 'vitest'
import { UnencodableValueError } from '../errors.js'
import { decode, encode, findUnencodable } from './encoding.js'
import { difference } from './encoding.test.js'

function refusal(value: unknown): UnencodableValueError {
  try {
    encode(value, 'data')
  } catch (err) {
    expect(err).toBeInstanceOf(UnencodableValueError)
    return err as UnencodableValueError
  }
  throw new Error('expected a refusal')
}

describe('in Chromium', () => {
  it('refuses a Blob and a File, and says to send them over structured clone', () => {
    const blob = refusal({ upload: { file: new Blob(['x']) } })
    expect(blob.path).toBe('data.upload.file')
    expect(blob.kind).toBe('Blob')
    expect(blob.message).toBe(
      'data.upload.file is a Blob, which text cannot carry (its bytes can only be read asynchronously): send it over structured clone instead (tabs without a key, a worker), or read it first (await blob.arrayBuffer()) and send the ArrayBuffer. Nothing was encoded.',
    )
    const file = refusal([new File(['x'], 'a.txt')])
    expect([file.path, file.kind]).toEqual(['data[0]', 'File'])
  })

  it('refuses an ImageBitmap', async () => {
    const bitmap = await createImageBitmap(new ImageData(1, 1))
    const e = refusal({ frame: bitmap })
    expect([e.path, e.kind]).toEqual(['data.frame', 'ImageBitmap'])
    expect(e.message).toContain('send it over structured clone instead (tabs without a key, a worker)')
    bitmap.close()
  })

  it('refuses a DOM node, as structured clone does', () => {
    const div = document.createElement('div')
    expect(() => structuredClone(div)).toThrow()
    const e = refusal(new Map([['target', div]]))
    expect([e.path, e.kind]).toEqual(['data.get("target")', 'DOM node'])
    expect(e.message).toContain('is a DOM node (HTMLDivElement), which cannot leave its page')
    expect(findUnencodable({ w: window }, 'data')?.path).toBe('data.w')
  })

  it("keeps an Error's name, message, stack and cause as Chromium's structuredClone does", () => {
    const e = new TypeError('outer', { cause: new RangeError('inner') })
    const cloned = structuredClone(e)
    const decoded = decode(encode(e, 'data'), 'data')
    expect(difference(cloned, decoded)).toBeUndefined()
    expect((decoded as Error).cause).toBeInstanceOf(RangeError)
  })
})
