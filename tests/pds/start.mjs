// Start the reference atproto PLC directory and PDS (from @atproto/dev-env) on loopback.
//
// Usage: node start.mjs DATA_DIR [PLC_PORT] [PDS_PORT]   (a port of 0 or none: a free one)
// Prints one line {"plc": URL, "pds": URL} on stdout once both answer, then runs until
// stdin closes or SIGTERM/SIGINT arrives (so a test process that dies takes it along).
// No app view, no crawlers, no e-mail: nothing here reaches beyond this machine.
import net from 'node:net'
import fs from 'node:fs'
import path from 'node:path'

// Every server this process opens listens on 127.0.0.1 only, whatever the library asks for.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    const port = Number(args[0])
    const rest = args.slice(1).filter((a) => typeof a === 'function')
    return listen.call(this, { port, host: '127.0.0.1' }, ...rest)
  }
  if (args[0] && typeof args[0] === 'object' && !('path' in args[0])) {
    args[0] = { ...args[0], host: '127.0.0.1' }
  }
  return listen.apply(this, args)
}

const { TestNetworkNoAppView } = await import('@atproto/dev-env')

const [dataDir, plcPort, pdsPort] = process.argv.slice(2)
if (!dataDir) {
  console.error('usage: node start.mjs DATA_DIR [PLC_PORT] [PDS_PORT]')
  process.exit(2)
}
const pdsData = path.join(dataDir, 'pds')
const blobs = path.join(dataDir, 'blobs')
fs.mkdirSync(pdsData, { recursive: true })
fs.mkdirSync(blobs, { recursive: true })

const network = await TestNetworkNoAppView.create({
  plc: plcPort && Number(plcPort) ? { port: Number(plcPort) } : {},
  pds: {
    ...(pdsPort && Number(pdsPort) ? { port: Number(pdsPort) } : {}),
    dataDirectory: pdsData,
    blobstoreDiskLocation: blobs,
    rateLimitsEnabled: process.env.PDS_RATE_LIMITS === '1',
  },
})

let closing = false
async function shutdown(code) {
  if (closing) return
  closing = true
  try {
    await network.close()
  } catch (err) {
    console.error(`pds: error while closing: ${err}`)
  }
  process.exit(code)
}
process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))
process.stdin.on('end', () => shutdown(0))
process.stdin.on('error', () => shutdown(0))
process.stdin.resume()

process.stdout.write(JSON.stringify({ plc: network.plc.url, pds: network.pds.url }) + '\n')
