// SPDX-License-Identifier: LGPL-2.1-or-later
// The publisher's farm jobs: events that come before the answer naming
// their jobs are not lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeenJobs, jobKey, noteworthy } from '../src/farm-jobs.js';

const render = { farm: 'local', id: 'j1', kind: 'render', name: 'render sh010', state: 'queued' };
const publish = { farm: 'local', id: 'j2', kind: 'publish', name: 'publish sh010', state: 'queued' };

test('a job is followed from the newest of the answer and the events before it', () => {
  const seen = new SeenJobs();
  seen.tell({ ...render, state: 'running' });
  seen.tell({ ...render, state: 'done' });
  assert.equal(seen.newest(render).state, 'done');
  // a job no event told of is as the answer says
  assert.equal(seen.newest(publish), publish);
  assert.equal(jobKey(publish), 'local/j2');
  // the same id on another farm is another job
  assert.equal(seen.newest({ ...render, farm: 'slurm' }).state, 'queued');
});

test('only the last jobs told of are kept', () => {
  const seen = new SeenJobs(2);
  seen.tell({ ...render, id: 'a', state: 'done' });
  seen.tell({ ...render, id: 'b', state: 'done' });
  seen.tell({ ...render, id: 'a', state: 'failed' });
  seen.tell({ ...render, id: 'c', state: 'done' });
  assert.equal(seen.jobs.size, 2);
  assert.equal(seen.newest({ ...render, id: 'b' }).state, 'queued');
  assert.equal(seen.newest({ ...render, id: 'a' }).state, 'failed');
});

test('a failure and a publish done are told, once', () => {
  assert.deepEqual(noteworthy(publish, { ...publish, state: 'done' }),
    { text: 'Published from the farm: publish sh010', kind: 'info' });
  assert.equal(noteworthy({ ...publish, state: 'done' }, { ...publish, state: 'done' }), null);
  assert.equal(noteworthy(render, { ...render, state: 'done' }), null);
  assert.deepEqual(noteworthy(render, { ...render, state: 'failed', reason: 'frame 3' }),
    { text: 'Farm job failed: render sh010 (frame 3)', kind: 'error' });
  assert.equal(noteworthy(render, { ...render, state: 'running' }), null);
});
