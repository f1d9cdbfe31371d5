// Deno and Bun: run the scenario with the input JSON on stdin, print the result JSON on stdout.
import { runScenario } from './scenario.mjs'

let text = ''
for await (const chunk of process.stdin) text += chunk
console.log(JSON.stringify(await runScenario(JSON.parse(text))))
