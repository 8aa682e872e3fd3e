import { KurrentDBClient, jsonEvent } from '@kurrent/kurrentdb-client';
import { startFakeKurrentServer } from './fake-server.js';
const fake = await startFakeKurrentServer();
for (const q of ['', '&maxDiscoverAttempts=1', '&discoveryInterval=10']) {
const c = KurrentDBClient.connectionString(fake.url + q);
await c.appendToStream('s1', [jsonEvent({ type: 'A', data: { x: 1 } })]);
for (let k = 0; k < 3; k++) { const t = performance.now(); try { for await (const e of c.readStream('s1')) {} } catch (e: any) { console.log(e.message) } console.log(q, 'read ms', (performance.now() - t).toFixed(1)); }
await c.dispose();
}
await fake.close();
