/**
 * Background jobs (`cmd &`, `( ... ) &`) as coroutines. The lab has one thread and a simulated
 * clock: a job runs at once until it would block (a dd write the pool queued, a `sleep`, a
 * `wait`), then the script goes on. A parked job resumes as soon as what it waits for has
 * happened: after the script's next command (a resume, a grow, a discard and commit completes the
 * queued bio at once), or while the clock runs in a `sleep`, a blocking dd or `wait` of the script,
 * at the simulated moment its wait ends (a no_space_timeout expiry, the end of its own `sleep`).
 */
import type { Machine } from '../model/machine.js';
import type { Steps, Wait } from './wait.js';

export interface Job {
  /** The job number (`[1]`), counted from 1. */
  readonly id: number;
  /** The pid `$!` reports for it (made up, but fixed for a given script). */
  readonly pid: number;
  /** The command text, for messages. */
  readonly label: string;
  readonly steps: Steps<number>;
  /** What it is parked on; null while it runs or once it has finished. */
  wait: Wait | null;
  /** Its exit status once finished. */
  status: number | null;
}

/**
 * What outlives the jobs themselves, kept in the shell's state (plain data, so that a lab
 * snapshot holds it): the next job number, and the exit status of every finished job by pid.
 */
export interface JobRecord {
  nextJobId: number;
  readonly finishedJobs: Map<number, number>;
}

export class Scheduler {
  /** Jobs that have not finished; a finished one leaves only its status in the record. */
  private jobs: Job[] = [];
  private current: Job | null = null;

  constructor(
    private readonly machine: Machine,
    private readonly firstPid: number,
    private readonly record: JobRecord,
  ) {}

  /** Starts a job and runs it until it first blocks or ends. */
  spawn(label: string, steps: Steps<number>): Job {
    const id = this.record.nextJobId++;
    const job: Job = { id, pid: this.firstPid + id, label, steps, wait: null, status: null };
    this.jobs.push(job);
    this.step(job, true);
    return job;
  }

  /** A job's status by pid: a number once finished, null while running, undefined if no such job. */
  statusOf(pid: number): number | null | undefined {
    const finished = this.record.finishedJobs.get(pid);
    if (finished !== undefined) return finished;
    return this.jobs.some((j) => j.pid === pid) ? null : undefined;
  }

  /** Jobs not finished yet. */
  unfinished(): Job[] {
    return this.jobs.filter((j) => j.status === null);
  }

  isSatisfied(wait: Wait): boolean {
    switch (wait.kind) {
      case 'io':
        return wait.ticket.done;
      case 'sleep':
        return this.machine.nowMs >= wait.untilMs;
      case 'resume':
        return wait.dev.kind !== 'dm' || !wait.dev.suspended;
      case 'jobs':
        return wait.pids.every((pid) => this.statusOf(pid) !== null);
      case 'pipe':
      case 'turn':
        return wait.ready();
      default:
        return true;
    }
  }

  /**
   * Runs every parked job whose wait has ended, until none is left (a job that runs may release
   * another). Does nothing while a job is running: jobs only run between the script's commands.
   */
  runReady(): void {
    if (this.current !== null) return;
    for (let job = this.ready(); job !== undefined; job = this.ready()) this.step(job, true);
  }

  /**
   * Waits in the foreground: runs ready jobs and the machine's clock until `wait` has ended.
   * Returns false when it never can (nothing is left that could end it).
   */
  waitFor(wait: Wait): boolean {
    const limitMs = wait.kind === 'sleep' ? wait.untilMs : Number.POSITIVE_INFINITY;
    for (;;) {
      this.runReady();
      if (this.isSatisfied(wait)) return true;
      // Running the clock is pointless when nothing waiting on it could change the outcome: a
      // suspended device is only resumed by a command, so by a job that the clock can wake.
      if (!this.clockCanHelp(wait, new Set())) return false;
      // A job's own sleep ends at a known time; the clock stops there so that it runs on time.
      const limit = Math.min(limitMs, this.nextSleepEndMs());
      const stopped = this.machine.runUntil(limit, () => this.isSatisfied(wait) || this.ready() !== undefined);
      if (!stopped && !Number.isFinite(limit)) return false;
    }
  }

  /** Whether running the clock might end this wait (directly, or by waking a job that could). */
  private clockCanHelp(wait: Wait, seen: Set<Job>): boolean {
    switch (wait.kind) {
      case 'io':
      case 'sleep':
        return true;
      case 'resume':
      case 'turn':
        return this.jobs.some((j) => this.jobClockCanHelp(j, seen));
      case 'jobs':
        return this.jobs.some((j) => wait.pids.includes(j.pid) && this.jobClockCanHelp(j, seen));
      case 'pipe':
        // Only the pipeline that owns the pipe can fill it; the clock cannot.
        return false;
      default:
        return true;
    }
  }

  private jobClockCanHelp(job: Job, seen: Set<Job>): boolean {
    if (seen.has(job) || job.wait === null) return false;
    seen.add(job);
    return this.clockCanHelp(job.wait, seen);
  }

  private nextSleepEndMs(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const j of this.jobs) {
      if (j.status === null && j.wait?.kind === 'sleep' && j.wait.untilMs < next) next = j.wait.untilMs;
    }
    return next;
  }

  private ready(): Job | undefined {
    return this.jobs.find((j) => j.status === null && j.wait !== null && this.isSatisfied(j.wait));
  }

  private step(job: Job, value: boolean): void {
    const previous = this.current;
    this.current = job;
    job.wait = null;
    try {
      const r = job.steps.next(value);
      if (r.done) {
        job.status = r.value;
        this.record.finishedJobs.set(job.pid, r.value);
        this.jobs = this.jobs.filter((j) => j !== job);
      } else job.wait = r.value;
    } finally {
      this.current = previous;
    }
  }
}
