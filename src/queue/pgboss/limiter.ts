/** Runs at most `limit` tasks at once, in arrival order; a finishing task hands its slot to the next. */
export function createLimiter(limit: number) {
  let running = 0
  const waiting: Array<() => void> = []

  async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running < limit) running++
    else await new Promise<void>((resolve) => waiting.push(resolve))
    try {
      return await task()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else running--
    }
  }

  return { run }
}

export type Limiter = ReturnType<typeof createLimiter>
