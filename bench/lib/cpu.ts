import { readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'

// utime and stime in /proc/<pid>/stat count clock ticks of 1/100 s (USER_HZ on Linux).
const TICK_MS = 10

/** CPU milliseconds (user + system, all threads) a process has used so far; NaN when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS
  } catch {
    return Number.NaN
  }
}

/** Busy and total CPU milliseconds of the whole machine so far (all cores), from os.cpus(). */
export function machineCpuMs(): { busy: number; total: number } {
  let busy = 0
  let total = 0
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle
    total += all
    busy += all - times.idle
  }
  return { busy, total }
}

/** CPU milliseconds used so far by every process with this command name (e.g. all PostgreSQL backends). */
export function commandCpuMs(comm: string): number {
  let total = 0
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) total += processCpuMs(Number(pid)) || 0
    } catch {
      // gone meanwhile
    }
  }
  return total
}
