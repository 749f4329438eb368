/**
 * The V8 flags a worker process runs with: `node --initial-old-space-size=128 src/cli.ts worker`
 * (compose.yaml's worker command, and the benches that stand in for it). They cannot go in
 * NODE_OPTIONS (Node refuses this one there) nor be set once the process runs.
 *
 * Why: the upload check decrypts every byte it scans into fresh buffers, and V8 counts that memory
 * against an old generation it sizes from the small JS heap, so it ran a full collection every
 * 30–40 files. Starting the old generation at 128 MiB cut those collections about fourfold and the
 * worker's CPU per 1 MiB PDF from 11–14 ms to 7 ms here (bench/scan.bench.ts prints both). The
 * worker's RSS may then hold up to about that much garbage before it is collected; the API process
 * (`serve`) keeps V8's default, which bounds the memory a 100 MiB upload leaves behind (issue 4).
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128']
