#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { startWorkers } from '../workers/main.ts'
import { type Config, ConfigError, parseConfig, readEnv } from './config.ts'
import { type AppDeps, buildDeps, type Deps } from './deps.ts'
import { deliveriesUsage, runDeliveriesCli } from './features/delivery/delivery.cli.ts'
import { demoLoginLines, seedDemo } from './features/demo/demo.seed.ts'
import { inboundUsage, runInboundCli } from './features/inbound/inbound.cli.ts'
import { keysUsage, runKeysCli } from './features/keys/keys.cli.ts'
import { printUsage, runPrintCli } from './features/notices/print.cli.ts'
import { runStaffCli, staffUsage } from './features/staff/staff.cli.ts'
import { requeueFailedScans } from './features/upload-check/quarantine.ts'
import { createLogger, type Logger } from './logger.ts'
import { startServer } from './server.ts'
import { waitForPg } from './store/pg/connect.ts'

const usage = `usage: postkorb <command>
  serve               HTTP API and web inbox
  worker              job handlers
  start [--seed-demo] both in one process (embedded default), migrating first
  migrate             apply database migrations
  seed --demo         create the demo office, staff and citizen
  audit verify        check the audit hash chain
  staff create|tokens|revoke   staff members and API tokens (see postkorb staff)
  keys status|rotate|retire    key-encryption keys: rotate and rewrap data keys (see postkorb keys)
  inbound email --office <code> < mail.eml   a raw reply from the mail gateway's pipe
  print export|handed-over     letters for the print service (see postkorb print)
  scans requeue       check every scan_failed upload again (after the virus scanner is back)
  deliveries replay --id <id>|--failed   send failed deliveries again (never a delivered one)`

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      demo: { type: 'boolean' },
      'seed-demo': { type: 'boolean' },
      office: { type: 'string' },
      role: { type: 'string' },
      label: { type: 'string' },
      'token-id': { type: 'string' },
      key: { type: 'string' },
      'batch-size': { type: 'string' },
      'max-batches': { type: 'string' },
      out: { type: 'string' },
      limit: { type: 'string' },
      batch: { type: 'string' },
      id: { type: 'string' },
      failed: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [command, sub] = positionals
  if (!command || values.help) {
    console.log(usage)
    return command ? 0 : 2
  }
  const config = loadConfigOrExit()
  const log = createLogger(config.log.level)
  if (config.db.kind === 'pg') await waitForPg(config.db.url, { attempts: 30, delayMs: 1000, log })
  const deps = buildDeps(config, log)

  switch (command) {
    case 'migrate':
      await deps.store.migrate()
      await deps.queue.start()
      log.info({ dialect: deps.store.dialect }, 'migrations applied')
      return closeAll(deps, 0)
    case 'seed':
      if (!values.demo) return fail('seed needs --demo', deps)
      await deps.store.migrate()
      await printSeed(deps)
      return closeAll(deps, 0)
    case 'audit': {
      if (sub !== 'verify') return fail(usage, deps)
      const result = await deps.store.audit.verify()
      console.log(JSON.stringify(result))
      return closeAll(deps, result.ok ? 0 : 1)
    }
    case 'staff':
      if (!sub) return fail(staffUsage, deps)
      return closeAll(deps, await runStaffCli(deps, sub, values))
    case 'keys':
      if (!sub) return fail(keysUsage, deps)
      return closeAll(deps, await runKeysCli(deps, sub, values))
    case 'inbound':
      if (sub !== 'email') return fail(inboundUsage, deps)
      await deps.queue.start()
      return closeAll(deps, await runInboundCli(deps, sub, values, process.stdin))
    case 'print':
      if (!sub) return fail(printUsage, deps)
      return closeAll(deps, await runPrintCli(deps, sub, values))
    case 'scans': {
      if (sub !== 'requeue') return fail(usage, deps)
      await deps.queue.start()
      const requeued = await requeueFailedScans(deps)
      console.log(JSON.stringify({ requeued }))
      return closeAll(deps, 0)
    }
    case 'deliveries':
      if (!sub) return fail(deliveriesUsage, deps)
      return closeAll(deps, await runDeliveriesCli(deps, sub, values))
    case 'serve':
    case 'worker':
    case 'start':
      return runProcess(command, deps, Boolean(values['seed-demo']))
    default:
      return fail(`unknown command: ${command}\n${usage}`, deps)
  }
}

async function runProcess(role: 'serve' | 'worker' | 'start', deps: Deps, seed: boolean): Promise<number> {
  const appDeps: AppDeps = { ...deps, lifecycle: { draining: false } }
  if (role === 'start') await deps.store.migrate()
  await deps.queue.start()
  if (role !== 'serve') await startWorkers(deps)
  if (seed) await printSeed(deps)
  const server = role === 'worker' ? null : await startServer(appDeps)
  if (server) deps.log.info({ url: server.url, role }, 'listening')
  if (server && seed) console.log(`\nPostkorb is running at ${server.url} (health: ${server.url}/healthz)\n`)

  return new Promise((resolve) => {
    const shutdown = async (signal: string) => {
      if (appDeps.lifecycle.draining) return
      appDeps.lifecycle.draining = true
      const timeoutMs = deps.config.http.shutdownTimeoutMs
      deps.log.info({ signal, timeoutMs }, 'shutting down: finishing requests and jobs in flight')
      await server?.close(timeoutMs)
      await deps.queue.stop({ graceful: true, timeoutMs })
      await deps.store.close()
      deps.log.info('stopped')
      resolve(0)
    }
    process.once('SIGTERM', () => void shutdown('SIGTERM'))
    process.once('SIGINT', () => void shutdown('SIGINT'))
  })
}

async function printSeed(deps: Deps) {
  const { created } = await seedDemo(deps)
  const lines = demoLoginLines(deps.config.http.publicUrl)
  console.log(`\n${created ? 'Created' : 'Found'} ${lines.join('\n')}\n`)
}

function loadConfigOrExit(): Config {
  try {
    return parseConfig(readEnv())
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    for (const line of err.lines) console.error(line)
    process.exit(1)
  }
}

async function closeAll(deps: Deps, code: number): Promise<number> {
  await deps.queue.stop({ graceful: false, timeoutMs: 1000 }).catch(() => undefined)
  await deps.store.close()
  return code
}

async function fail(message: string, deps: Deps): Promise<number> {
  console.error(message)
  return closeAll(deps, 2)
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const log: Logger = createLogger('error')
    log.fatal({ err }, 'postkorb failed')
    process.exit(1)
  },
)
