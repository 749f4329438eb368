import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  addActiveKey,
  KeyFileError,
  newKeyId,
  readKeyFile,
  removeKey,
  writeKeyFileAtomic,
} from './key-file.ts'
import { generateKeyFile } from './keyring.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function keyFile() {
  const dir = mkdtempSync(path.join(tmpdir(), 'postkorb-keyfile-'))
  dirs.push(dir)
  const file = path.join(dir, 'keys.json')
  writeKeyFileAtomic(file, generateKeyFile())
  return { dir, file }
}

describe('key file', () => {
  it('never reuses a key id, also for several rotations on one day', () => {
    const day = new Date('2026-11-23T12:00:00Z')
    expect(newKeyId(day, [])).toBe('k20261123')
    expect(newKeyId(day, ['k20261123', 'k20261123-2'])).toBe('k20261123-3')
  })

  it('takes over a lock left by a process that died', () => {
    const { dir, file } = keyFile()
    const dead = spawnSync(process.execPath, ['-e', '']).pid
    writeFileSync(`${file}.lock`, String(dead))

    const { id } = addActiveKey(file, new Date())

    expect(readKeyFile(file).active).toBe(id)
    expect(readdirSync(dir)).toEqual(['keys.json'])
  })

  it('refuses to change the file while a live process holds the lock', () => {
    const { file } = keyFile()
    const before = readKeyFile(file)
    writeFileSync(`${file}.lock`, String(process.pid))

    expect(() => addActiveKey(file, new Date())).toThrow(KeyFileError)
    expect(readKeyFile(file)).toEqual(before)
  })

  it('refuses to remove the active key or one it does not hold', () => {
    const { file } = keyFile()
    const { active } = readKeyFile(file)
    expect(() => removeKey(file, active)).toThrow(/active key/)
    expect(() => removeKey(file, 'k19990101')).toThrow(/not in the key file/)
  })
})
