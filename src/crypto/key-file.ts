import { randomBytes } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import path from 'node:path'

/** The embedded key file: KEKs by id (base64, 32 bytes), the active id and the lookup/index key. */
export type KeyFile = { active: string; keys: Record<string, string>; indexKey: string }

/** A refused key file change (unknown or active key, lock held): the CLI prints the message. */
export class KeyFileError extends Error {}

export function readKeyFile(file: string): KeyFile {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<KeyFile>
  if (typeof parsed.active !== 'string' || typeof parsed.indexKey !== 'string' || !parsed.keys)
    throw new Error(`keyring: ${file} is not a key file ({active, keys, indexKey})`)
  return parsed as KeyFile
}

/** Identity of the file's current version: an atomic rename always gives a new inode. */
export function keyFileVersion(file: string): string | null {
  try {
    const st = statSync(file)
    return `${st.ino}:${st.mtimeMs}:${st.size}`
  } catch {
    return null
  }
}

/**
 * Replaces the key file so a crash leaves either the old or the new version, never a torn one:
 * write a 0600 temp file, fsync it, rename over the original, fsync the directory.
 */
export function writeKeyFileAtomic(file: string, content: KeyFile): void {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    writeSync(fd, `${JSON.stringify(content, null, 2)}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    renameSync(tmp, file)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
  const dir = openSync(path.dirname(file), 'r')
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}

/** A new KEK id: the date, with a counter when that id is already taken (ids are never reused). */
export function newKeyId(now: Date, taken: Iterable<string>): string {
  const used = new Set(taken)
  const base = `k${now.toISOString().slice(0, 10).replaceAll('-', '')}`
  if (!used.has(base)) return base
  for (let n = 2; ; n++) if (!used.has(`${base}-${n}`)) return `${base}-${n}`
}

/** Adds a fresh random KEK as the active one, keeping every old key for reading. */
export function addActiveKey(file: string, now: Date): { id: string; keyFile: KeyFile } {
  return withKeyFileLock(file, () => {
    const current = readKeyFile(file)
    const id = newKeyId(now, Object.keys(current.keys))
    const existing = new Set(Object.values(current.keys))
    let key = randomBytes(32).toString('base64')
    while (existing.has(key)) key = randomBytes(32).toString('base64')
    const keyFile = { ...current, active: id, keys: { ...current.keys, [id]: key } }
    writeKeyFileAtomic(file, keyFile)
    return { id, keyFile }
  })
}

/** Removes an old KEK; the active key and unknown ids are refused. */
export function removeKey(file: string, id: string): KeyFile {
  return withKeyFileLock(file, () => {
    const current = readKeyFile(file)
    if (!(id in current.keys)) throw new KeyFileError(`key ${id} is not in the key file`)
    if (current.active === id) throw new KeyFileError(`key ${id} is the active key; rotate first`)
    const keys = Object.fromEntries(Object.entries(current.keys).filter(([k]) => k !== id))
    const keyFile = { ...current, keys }
    writeKeyFileAtomic(file, keyFile)
    return keyFile
  })
}

const LOCK_ATTEMPTS = 100
const LOCK_WAIT_MS = 20

/**
 * Serialises read-modify-write of the key file across processes, so two rotations never drop
 * each other's new key. A lock left by a dead process is taken over.
 */
export function withKeyFileLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    let fd: number
    try {
      fd = openSync(lock, 'wx', 0o600)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      if (!lockHolderAlive(lock)) rmSync(lock, { force: true })
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, LOCK_WAIT_MS)
      continue
    }
    try {
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return fn()
    } finally {
      unlinkSync(lock)
    }
  }
  throw new KeyFileError(`key file is locked (${lock}); another keys command is running`)
}

function lockHolderAlive(lock: string): boolean {
  let text: string
  try {
    text = readFileSync(lock, 'utf8')
  } catch {
    return true // vanished meanwhile: try again
  }
  const pid = Number(text)
  if (text === '') return true // its holder is writing its pid right now
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
