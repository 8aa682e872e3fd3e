/**
 * A pipeline's commands as coroutines over bounded pipes. Each command runs as its own generator
 * (the interpreter's trampoline over the command); the lab has one thread, so they take turns:
 *
 * - the first runnable command runs until it ends or waits: busybox starts them all at once, and
 *   with outputs smaller than a pipe's capacity the lab's order (each command to its end, in
 *   turn) is the order a terminal shows;
 * - a writer whose pipe reaches PIPE_CAPACITY_BYTES lets the reader run at once, inside the write
 *   (`Pipe.drain`), until the reader has taken what is there and waits for more or ends: so a
 *   writer that cannot block (`seq` is a plain loop) still never fills memory, and when the
 *   reader ends (`head -c 10`) the writer's next write fails and it stops, as SIGPIPE stops it;
 * - a reader that takes its input whole runs its writer to the end instead (`InputStream.pull`);
 * - a wait that is not on one of the pipeline's own pipes (the clock, a device, a pipe of an
 *   enclosing pipeline) is passed up when nothing else can run.
 *
 * The status is the last command's, as in ash without pipefail.
 */
import type { Pipe } from './io.js';
import type { Steps, Wait } from './wait.js';

interface Stage {
  readonly steps: Steps<number>;
  started: boolean;
  running: boolean;
  wait: Wait | null;
  status: number | null;
}

/** How many pipeline commands are running inside each other on the native stack right now. */
let nestedSteps = 0;

/** The native nesting of pipelines at this moment (each level costs native stack). */
export function pipelineNesting(): number {
  return nestedSteps;
}

class PipelineRun {
  private readonly stages: Stage[];

  constructor(
    steps: readonly Steps<number>[],
    private readonly pipes: readonly Pipe[],
    /** Serves a wait at once, for a writer that a whole-input reader needs and that waits on the clock. */
    private readonly serve: (wait: Wait) => boolean,
  ) {
    this.stages = steps.map((s) => ({ steps: s, started: false, running: false, wait: null, status: null }));
    pipes.forEach((pipe, i) => {
      pipe.drain = () => this.drain(i + 1);
      pipe.pull = () => this.pull(i);
    });
  }

  *run(): Steps<number[]> {
    for (;;) {
      const next = this.stages.findIndex((_, k) => this.runnable(k, false));
      if (next >= 0) {
        this.step(next, true);
        continue;
      }
      if (this.stages.every((s) => s.status !== null)) return this.stages.map((s) => s.status!);
      // Nothing can run: some command waits on something outside the pipeline. Every chain of
      // waits on the pipeline's own pipes leads back to such a command (the first one has none).
      const k = this.stages.findIndex((s) => s.status === null && s.wait !== null && !this.ownWait(s.wait));
      if (k < 0) throw new Error('pipeline: every command waits on another one of the pipeline');
      const ended = yield this.stages[k]!.wait!;
      this.step(k, ended);
    }
  }

  private ownWait(wait: Wait): boolean {
    return wait.kind === 'pipe' && (this.pipes as readonly object[]).includes(wait.stream);
  }

  /** Whether stage k can run now; `drainOnly`: a reader a writer may run from inside its write. */
  private runnable(k: number, drainOnly: boolean): boolean {
    const s = this.stages[k]!;
    if (s.status !== null || s.running) return false;
    if (!s.started) return true;
    const w = s.wait;
    return w !== null && w.kind === 'pipe' && (!drainOnly || w.drainable) && w.ready();
  }

  /** The writer of pipe k-1 filled it: its reader, stage k, runs while it takes data. */
  private drain(k: number): void {
    while (this.runnable(k, true)) this.step(k, true);
  }

  /** A reader wants the whole input: its writer, stage k, runs one step if it can. */
  private pull(k: number): boolean {
    const s = this.stages[k]!;
    if (s.status !== null || s.running) return false;
    if (this.runnable(k, false)) {
      this.step(k, true);
      return true;
    }
    const w = s.wait!;
    // Waiting on its own input: the command before it must run first.
    if (this.ownWait(w)) return k > 0 && this.pull(k - 1);
    this.step(k, this.serve(w));
    return true;
  }

  private step(k: number, value: boolean): void {
    const s = this.stages[k]!;
    s.started = true;
    s.running = true;
    s.wait = null;
    nestedSteps++;
    let r: IteratorResult<Wait, number>;
    try {
      r = s.steps.next(value);
    } finally {
      nestedSteps--;
      s.running = false;
    }
    if (r.done === true) this.finish(k, r.value);
    else s.wait = r.value;
  }

  /** A command ended: its reader gets the end of its input, its writer a closed pipe. */
  private finish(k: number, status: number): void {
    this.stages[k]!.status = status;
    if (k > 0) this.pipes[k - 1]!.closeRead();
    if (k < this.pipes.length) this.pipes[k]!.closeWrite();
  }
}

/**
 * Runs a pipeline's commands, stage k reading pipes[k-1] and writing pipes[k]; returns every
 * command's status. `serve` answers a wait at once (see PipelineRun.pull).
 */
export function runStages(
  steps: readonly Steps<number>[],
  pipes: readonly Pipe[],
  serve: (wait: Wait) => boolean,
): Steps<number[]> {
  return new PipelineRun(steps, pipes, serve).run();
}
