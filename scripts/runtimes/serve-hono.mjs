// Deno and Bun: serve the Hono Worker (hono-worker.mjs, the same app workerd runs) with the runtime's own HTTP
// server on 127.0.0.1 (an ephemeral port), its configuration JSON from stdin as the ONBEHALF binding. Prints
// `{"port":N}` once listening, then serves until killed.
import app from './hono-worker.mjs'

let text = ''
for await (const chunk of process.stdin) text += chunk
const env = { ONBEHALF: JSON.parse(text) }
const handle = (request) => app.fetch(request, env)
const listening = (port) => console.log(JSON.stringify({ port }))

if (globalThis.Deno !== undefined) {
  globalThis.Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => listening(port) }, handle)
} else {
  listening(globalThis.Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handle }).port)
}
