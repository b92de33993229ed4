// SPDX-License-Identifier: LGPL-2.1-or-later
// The farm jobs a window follows, kept up to date by `farm.job.changed`.
//
// An event can come before the answer that names its job (a job of the
// local farm may start, and end, before the publish answers): the last
// state of every job an event told of is kept, so that a job is followed
// from the newest of what the answer says and what was told meanwhile.

export function jobKey (job) {
  return `${job.farm}/${job.id}`;
}

export class SeenJobs {
  // at most @limit jobs are kept, the oldest told of forgotten first
  constructor (limit = 1000) {
    this.jobs = new Map();
    this.limit = limit;
  }

  // an event's job
  tell (job) {
    const key = jobKey(job);
    this.jobs.delete(key);
    this.jobs.set(key, job);
    while (this.jobs.size > this.limit) this.jobs.delete(this.jobs.keys().next().value);
  }

  // the job as an answer says it, or as an event told of it since: events
  // come after the submission that the answer reports
  newest (job) {
    return this.jobs.get(jobKey(job)) ?? job;
  }
}

// What to tell the artist when a job goes from @was to @job: its failure,
// or a publish done; null otherwise.
export function noteworthy (was, job) {
  if (was?.state === job.state) return null;
  if (job.state === 'failed') {
    return { text: `Farm job failed: ${job.name}${job.reason ? ` (${job.reason})` : ''}`, kind: 'error' };
  }
  if (job.kind === 'publish' && job.state === 'done') return { text: `Published from the farm: ${job.name}`, kind: 'info' };
  return null;
}
