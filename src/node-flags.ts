/**
 * The V8 flags each process role runs with, as compose.yaml and the Dockerfile start them; the
 * benches that stand in for a role start their child process with the same flags.
 *
 * Worker (`node --initial-old-space-size=128 src/cli.ts worker`): the upload check decrypts every
 * byte it scans into fresh buffers, and V8 counts that memory against an old generation it sizes
 * from the small JS heap, so it ran a full collection every 30–40 files. Starting the old
 * generation at 128 MiB cut those collections about fourfold and the worker's CPU per 1 MiB PDF
 * from 11–14 ms to 7 ms here (bench/scan.bench.ts). This flag is refused in NODE_OPTIONS and has
 * no effect once the process runs, so it goes on the command line.
 *
 * API (`node --max-semi-space-size=1 src/cli.ts serve`): a streamed upload allocates a fresh
 * buffer per 64 KiB piece (the socket's, the cipher's); with V8's default 16 MiB semi-space the
 * dead ones piled up to 67–79 MiB during a cold 100 MiB upload. A 1 MiB semi-space scavenges them
 * promptly: 16–18 MiB, and the upload ran faster (122–133 against 71–91 MB/s; bench/upload.bench.ts).
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128']
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1']
