// The clamscan package ships no types; this declares only the part Postkorb uses.
declare module 'clamscan' {
  import type { Socket } from 'node:net'
  import type { Readable } from 'node:stream'

  type ClamdscanSettings = {
    socket?: string | false
    host?: string | false
    port?: number | false
    timeout?: number
    localFallback?: boolean
    path?: string | null
    active?: boolean
    bypassTest?: boolean
  }

  type InitOptions = {
    clamdscan?: ClamdscanSettings
    clamscan?: { active?: boolean }
    preference?: 'clamdscan' | 'clamscan'
    debugMode?: boolean
  }

  type ScanResult = {
    isInfected: boolean | null
    viruses: string[]
    resultString?: string
    timeout?: boolean
  }

  class NodeClam {
    init(options?: InitOptions): Promise<NodeClam>
    scanStream(stream: Readable): Promise<ScanResult>
    protected _initSocket(label?: string): Promise<Socket>
  }

  export = NodeClam
}
