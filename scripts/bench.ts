import { benchCoap, formatCoapBench } from './bench-coap.js';
import { benchCore } from './bench-core.js';
import { benchInboundPdus } from './bench-federation.js';
import { benchRemoteJoin } from './bench-remote-join.js';
import { benchStateRes } from './bench-state-res.js';
import { benchServer } from './bench-server.js';

/**
 * `npm run bench`: prints the performance figures the project tracks. Figures, not assertions:
 * tests never depend on wall-clock time. Pass section names to run only some (e.g. `core`).
 */
const sections: Record<string, () => Promise<void> | void> = {
  core() {
    const f = benchCore();
    console.log('core: canonical JSON + ed25519 signing');
    console.log(`  canonicalize+sign          ${f.canonicalizeAndSignPerSec.toLocaleString('en')} /s`);
    console.log(`  raw node:crypto sign       ${f.rawSignPerSec.toLocaleString('en')} /s`);
    console.log(`  raw node:crypto verify     ${f.rawVerifyPerSec.toLocaleString('en')} /s`);
    console.log(`  PDU verify (format+hash+sig) ${f.pduVerifyPerSec.toLocaleString('en')} /s  = ${f.pduVerifyRatio}x the cost of a raw verify (goal ≤ 2x)`);
    console.log(`  tweetnacl sign / verify    ${f.tweetnaclSignPerSec.toLocaleString('en')} /s / ${f.tweetnaclVerifyPerSec.toLocaleString('en')} /s`);
  },
  'state-res'() {
    const r = benchStateRes();
    console.log('state resolution');
    console.log(`  fork in a ${r.members.toLocaleString('en')}-member room, ${r.conflictedPerSide} conflicting state events per side: ${r.ms} ms (goal < 1000 ms)`);
  },
  // Send throughput, sync fan-out latency and RSS of a real server process (scripts/bench-server.ts).
  server: benchServer,
  async federation() {
    const inbound = await benchInboundPdus();
    console.log('federation');
    console.log(
      `  inbound PDUs verified and persisted  ${inbound.pdusPerSec.toLocaleString('en')} /s  = ${inbound.ratio} of raw ed25519 verify (${inbound.rawVerifyPerSec.toLocaleString('en')} /s)`,
    );
    const join = await benchRemoteJoin();
    console.log(`  remote join of a ${join.members.toLocaleString('en')}-member room  ${join.ms} ms`);
  },
  async coap() {
    console.log('CoAP bytes on the wire (UDP payload / TCP payload)');
    for (const line of formatCoapBench(await benchCoap())) console.log(`  ${line}`);
  },
};

const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(sections)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  await run();
}
