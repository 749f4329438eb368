import type { Readable, Writable } from 'node:stream'

/**
 * Feeds one source to several sinks with backpressure (the source waits for the slowest sink);
 * a source error destroys every sink with it, so no consumer mistakes a cut stream for its end.
 */
export function fanOut(source: Readable, ...sinks: Writable[]): void {
  source.once('error', (err) => {
    for (const sink of sinks) sink.destroy(err)
  })
  for (const sink of sinks) source.pipe(sink)
}
