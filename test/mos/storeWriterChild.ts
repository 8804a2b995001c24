// Child process for the SIGKILL durability test: writes ratings as fast as it can and prints
// "ack <rating id>" only after each commit returned, like the server acknowledging a rating.
import { MosStore } from '../../src/mos/store.js';
import { fakeSet } from './storeFixture.js';

const s = MosStore.open(process.argv[2]);
fakeSet(s, 'set', 200, ['A']);
const test = s.createTest({ setName: 'set', name: 't', scale: 'acr', trialsPerRater: 200, trapsPerRater: 0 });
const r = s.createRater(test.id);
s.assignBatch(r.id);
let t = 0;
for (const a of s.assignmentsOf(r)) {
  const clip = a.clips[0].id;
  s.playStarted(a.id, clip, t);
  s.playEnded(a.id, clip, (t += 1000), 0);
  s.saveRatings(a.id, new Map([[clip, 3]]));
  const id = (s.db.prepare('SELECT id FROM ratings WHERE assignment_id = ?').get(a.id) as { id: number }).id;
  process.stdout.write(`ack ${id}\n`);
}
// Keep running until killed so the parent always kills a live writer.
setInterval(() => undefined, 1000);
