/**
 * One shape for the four ends a channel runs over: a forked child seen from its parent
 * (`child.send` / `child.on('message')`), the parent seen from the child (`process.send` /
 * `process.on('message')`), a worker thread seen from its creator (`Worker`), and the creator seen
 * from the worker (`parentPort`). Only types are imported from Node, so loading this file loads
 * neither child_process nor worker_threads.
 */
import type { ChildProcess } from 'node:child_process';
import type { MessagePort, Worker } from 'node:worker_threads';

export interface MessagePortLike {
  /** Sends one message; a message to an end that has gone away is dropped. */
  postMessage(message: unknown): void;
  /** Calls `listener` with every message that arrives; returns the function that stops it. */
  onMessage(listener: (message: unknown) => void): () => void;
}

/** The parent's end of a child process started with `fork` (or any `stdio: [..., 'ipc']`). */
export function childProcessPort(child: ChildProcess): MessagePortLike {
  return {
    postMessage(message) {
      // The callback keeps a send to a child that just exited from becoming an 'error' event.
      if (child.connected) child.send(message as object, () => undefined);
    },
    onMessage(listener) {
      child.on('message', listener);
      return () => child.off('message', listener);
    },
  };
}

/** The child's end of its IPC channel to the parent (`process` in a forked child). */
export function processPort(proc: NodeJS.Process = process): MessagePortLike {
  return {
    postMessage(message) {
      if (proc.connected && proc.send) proc.send(message, undefined, {}, () => undefined);
    },
    onMessage(listener) {
      const l = (m: unknown) => listener(m);
      proc.on('message', l);
      return () => proc.off('message', l);
    },
  };
}

/** The creator's end of a worker thread. */
export function workerPort(worker: Worker): MessagePortLike {
  return {
    postMessage(message) {
      worker.postMessage(message);
    },
    onMessage(listener) {
      worker.on('message', listener);
      return () => worker.off('message', listener);
    },
  };
}

/** A worker thread's end (`parentPort`), or either end of a `MessageChannel`. */
export function threadPort(port: MessagePort): MessagePortLike {
  return {
    postMessage(message) {
      port.postMessage(message);
    },
    onMessage(listener) {
      port.on('message', listener);
      return () => port.off('message', listener);
    },
  };
}

/** What a thread's end posts on: a Worker, or a worker's `parentPort`. */
interface TransferringPoster {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/**
 * A thread's end (a Worker, or a worker's `parentPort`) that moves a message's `data` rather than
 * copying it: a Float32Array that fills its whole ArrayBuffer, in a request's `params` or an
 * answer's `result`, is transferred, so the sender must keep no view of it. Anything else is copied
 * as by {@link threadPort}.
 */
export function movingDataPort(end: TransferringPoster): MessagePortLike {
  return {
    postMessage(message) {
      const m = message as { params?: { data?: unknown }; result?: { data?: unknown } };
      const data = m.result?.data ?? m.params?.data;
      if (data instanceof Float32Array && data.buffer instanceof ArrayBuffer && data.byteLength === data.buffer.byteLength)
        end.postMessage(message, [data.buffer]);
      else end.postMessage(message);
    },
    onMessage(listener) {
      end.on('message', listener);
      return () => end.off('message', listener);
    },
  };
}
