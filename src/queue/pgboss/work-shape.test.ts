import { describe, expect, it } from 'vitest'
import { createLimiter } from './limiter.ts'
import { MAX_BATCH, workShape } from './settings.ts'

describe('workShape', () => {
  it('fetches batches of at least 25 with two workers, whatever the concurrency', () => {
    expect(workShape(1)).toEqual({ workers: 1, batchSize: 25, concurrency: 1 })
    expect(workShape(4)).toEqual({ workers: 2, batchSize: 25, concurrency: 4 })
    expect(workShape(16)).toEqual({ workers: 2, batchSize: 32, concurrency: 16 })
    expect(workShape(64)).toEqual({ workers: 2, batchSize: MAX_BATCH, concurrency: 64 })
  })

  it('takes the catalog batch size and adds workers until their batches can fill every slot', () => {
    expect(workShape(4, 1)).toEqual({ workers: 4, batchSize: 1, concurrency: 4 })
    expect(workShape(8, 3)).toEqual({ workers: 3, batchSize: 3, concurrency: 8 })
    expect(workShape(2, 500).batchSize).toBe(MAX_BATCH)
  })
})

describe('createLimiter', () => {
  it('runs at most its limit at once and starts waiting tasks in arrival order', async () => {
    const limiter = createLimiter(2)
    let running = 0
    let most = 0
    const started: number[] = []
    const task = (n: number) => async () => {
      started.push(n)
      running++
      most = Math.max(most, running)
      await new Promise((r) => setTimeout(r, 10))
      running--
      if (n === 1) throw new Error('a failing task frees its slot too')
      return n
    }
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => limiter.run(task(n))))
    expect(most).toBe(2)
    expect(started).toEqual([1, 2, 3, 4, 5])
    expect(results.map((r) => r.status)).toEqual([
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ])
  })
})
