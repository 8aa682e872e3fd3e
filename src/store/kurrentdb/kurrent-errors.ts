/**
 * Translates the KurrentDB client's errors into store errors. Errors are recognised by the
 * client's `type` string and the gRPC status code rather than by class, because the Rust read
 * bridge and the gRPC append path report the same failure through different classes (an
 * unreachable server is an `UnavailableError` on reads but a bare gRPC error on appends).
 */
import { isStoreError, StoreError } from '../errors.js';

/** gRPC status codes the adapter looks at. */
const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNIMPLEMENTED = 12;
const GRPC_UNAVAILABLE = 14;
const GRPC_UNAUTHENTICATED = 16;

interface ClientErrorShape {
  readonly type?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
}

export function clientErrorType(error: unknown): string | undefined {
  const type = (error as ClientErrorShape | null)?.type;
  return typeof type === 'string' ? type : undefined;
}

/** Returns a StoreError for a client failure while doing `what` against `target` (host:port). */
export function translateKurrentError(error: unknown, target: string, what: string): StoreError {
  if (isStoreError(error)) return error;
  const type = clientErrorType(error);
  const code = (error as ClientErrorShape | null)?.code;
  const message = String((error as ClientErrorShape | null)?.message ?? error);
  const unreachable = (why: string): StoreError =>
    new StoreError('STORE_UNREACHABLE', `KurrentDB at ${target} ${why} while ${what}`, { cause: error });
  switch (type) {
    case 'unavailable':
    case 'deadline-exceeded':
    case 'timeout':
    case 'cancelled':
    case 'not-leader':
      return unreachable(`is unreachable (${type})`);
    case 'access-denied':
      return new StoreError('STORE_DENIED', `KurrentDB at ${target} denied access while ${what}`, { cause: error });
    case 'maximum-append-size-exceeded':
      return new StoreError(
        'STORE_TOO_LARGE',
        `KurrentDB at ${target} refused an append over its maximum append size while ${what}`,
        { cause: error },
      );
  }
  if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED || code === GRPC_CANCELLED)
    return unreachable(`is unreachable (${firstLine(message)})`);
  if (code === GRPC_UNAUTHENTICATED || code === GRPC_PERMISSION_DENIED) {
    return new StoreError('STORE_DENIED', `KurrentDB at ${target} denied access while ${what}`, { cause: error });
  }
  // Something answered, but not with KurrentDB's API (an HTTP proxy, another gRPC service).
  if (code === GRPC_UNIMPLEMENTED || /operation is unsupported by the server/i.test(message)) {
    return unreachable('does not answer as a KurrentDB server');
  }
  return new StoreError('STORE_BACKEND', `KurrentDB at ${target} failed while ${what}: ${firstLine(message)}`, {
    cause: error,
  });
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200);
}

/**
 * Races `promise` against a timer so a server that never answers (a dropped SYN, a stuck proxy)
 * costs `ms` and not the operating system's connect timeout. The timer is the only use of time
 * in the adapter and never reaches stored data.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => StoreError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
