import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * One async lock per SQLite connection: every statement and every transaction passes through it,
 * so an open transaction that awaits never interleaves with other callers' statements.
 */
export function createLock() {
  let tail: Promise<unknown> = Promise.resolve()
  const holder = new AsyncLocalStorage<boolean>()
  return {
    run<T>(fn: () => T | Promise<T>): Promise<T> {
      if (holder.getStore()) {
        return Promise.reject(
          new Error('store used outside its transaction: use the tx handed to the callback'),
        )
      }
      const result = tail.then(() => holder.run(true, fn))
      tail = result.catch(() => undefined)
      return result
    },
  }
}
