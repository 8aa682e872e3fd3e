/**
 * A loopback fake KurrentDB server, for running the KurrentDB adapter through the real client
 * where no server can be installed. It serves the gRPC service descriptors that
 * `@kurrent/kurrentdb-client` itself ships, so the wire format is the client's own, and it
 * implements only what the adapter uses:
 *
 * - `Streams.Append`: the four expected-revision cases, answering WrongExpectedVersion exactly
 *   as the server does; the server's 1 MiB maximum append size.
 * - `Streams.Read` of one stream: forwards or backwards, from start, end or a revision, with a
 *   count, StreamNotFound for a stream without events; events in string or structured UUIDs.
 *   `$$name` metadata streams are ordinary streams here too.
 *
 * Everything else (ServerFeatures, BatchAppend, $all, subscriptions, delete) answers
 * UNIMPLEMENTED; for ServerFeatures that makes the client fall back to the plain Append RPC.
 * The fake keeps no wall-clock time: the `created` stamp of an event is derived from its position.
 * State is in memory and bounded by `maxEvents` and `maxBytes`.
 */
import * as grpc from '@grpc/grpc-js';
import sharedPb from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/shared_pb.js';
import streamsGrpc from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_grpc_pb.js';
import streamsPb from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_pb.js';
import { FakeLog, FakeLogFullError } from './fake-log.js';
import type { FakeExpected, FakeRecord, ProposedRecord } from './fake-log.js';

type AppendReq = InstanceType<typeof streamsPb.AppendReq>;
type AppendResp = InstanceType<typeof streamsPb.AppendResp>;
type ReadReq = InstanceType<typeof streamsPb.ReadReq>;
type ReadResp = InstanceType<typeof streamsPb.ReadResp>;

export interface FakeServerOptions {
  /** Events the fake holds at most; appends beyond fail with RESOURCE_EXHAUSTED. Default 2,000,000. */
  readonly maxEvents?: number;
  /** Bytes of event data and metadata the fake holds at most. Default 512 MiB. */
  readonly maxBytes?: number;
  /** The largest single append, in bytes, like the server's MaxAppendSize. Default 1 MiB. */
  readonly maxAppendBytes?: number;
}

export interface FakeKurrentServer {
  /** A connection string for the client, e.g. `kurrentdb://127.0.0.1:40123?tls=false`. */
  readonly url: string;
  readonly port: number;
  /** Events and bytes held, for tests of the bound. */
  stats(): { events: number; bytes: number };
  /** Stops accepting calls and ends the open ones; resolves when the port is free. */
  close(): Promise<void>;
}

/** The server's default MaxAppendSize. */
const DEFAULT_MAX_APPEND_BYTES = 1024 * 1024;
/** .NET ticks (100 ns) per position unit, so `created` grows with the log without a clock. */
const TICKS_PER_POSITION = 10n;
/** A gRPC message can carry a full-size event; the real server allows about 16 MiB. */
const MAX_MESSAGE_BYTES = 17 * 1024 * 1024;

export async function startFakeKurrentServer(options: FakeServerOptions = {}): Promise<FakeKurrentServer> {
  const log = new FakeLog({
    maxEvents: options.maxEvents ?? 2_000_000,
    maxBytes: options.maxBytes ?? 512 * 1024 * 1024,
  });
  const maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const unimplemented = (_call: unknown, callback?: grpc.sendUnaryData<never>): void => {
    const error = { code: grpc.status.UNIMPLEMENTED, details: 'not implemented by the thinlab fake server' };
    if (typeof callback === 'function') callback(error, null);
  };
  server.addService(streamsGrpc.StreamsService, {
    read: (call: grpc.ServerWritableStream<ReadReq, ReadResp>) => handleRead(log, call),
    append: (call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>) =>
      handleAppend(log, maxAppendBytes, call, callback),
    delete: unimplemented,
    tombstone: unimplemented,
    batchAppend: (call: grpc.ServerDuplexStream<unknown, unknown>) =>
      call.destroy(Object.assign(new Error('not implemented'), { code: grpc.status.UNIMPLEMENTED })),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  let closing: Promise<void> | undefined;
  return {
    url: `kurrentdb://127.0.0.1:${port}?tls=false`,
    port,
    stats: () => ({ events: log.eventCount, bytes: log.byteCount }),
    close: () => (closing ??= shutdown(server)),
  };
}

/** A graceful shutdown, forced after a second so a stuck client cannot hang a test run. */
function shutdown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), 1000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

function handleAppend(
  log: FakeLog,
  maxAppendBytes: number,
  call: grpc.ServerReadableStream<AppendReq, AppendResp>,
  callback: grpc.sendUnaryData<AppendResp>,
): void {
  let options: InstanceType<typeof streamsPb.AppendReq.Options> | undefined;
  const proposed: ProposedRecord[] = [];
  let bytes = 0;
  let failed = false;
  const fail = (error: Partial<grpc.StatusObject>): void => {
    if (failed) return;
    failed = true;
    callback(error, null);
  };
  call.on('data', (request: AppendReq) => {
    if (request.hasOptions()) {
      options = request.getOptions();
      return;
    }
    const message = request.getProposedMessage();
    if (message === undefined || options === undefined)
      return fail({ code: grpc.status.INVALID_ARGUMENT, details: 'append without options' });
    const metadata = message.getMetadataMap();
    const type = metadata.get('type');
    const contentType = metadata.get('content-type');
    if (type === undefined || contentType === undefined) {
      return fail(
        errorWithException(
          grpc.status.INVALID_ARGUMENT,
          'missing-required-metadata-property',
          'type and content-type are required',
        ),
      );
    }
    const record: ProposedRecord = {
      id: uuidToString(message.getId()),
      type,
      contentType,
      data: message.getData_asU8(),
      customMetadata: message.getCustomMetadata_asU8(),
    };
    bytes += record.data.byteLength + record.customMetadata.byteLength;
    proposed.push(record);
  });
  call.on('error', () => {
    failed = true; // The client went away: nothing is written.
  });
  call.on('end', () => {
    if (failed) return;
    if (options === undefined) return fail({ code: grpc.status.INVALID_ARGUMENT, details: 'append without options' });
    if (bytes > maxAppendBytes) {
      const error = errorWithException(
        grpc.status.INVALID_ARGUMENT,
        'maximum-append-size-exceeded',
        `append of ${bytes} bytes`,
      );
      error.metadata.set('maximum-append-size', String(maxAppendBytes));
      return fail(error);
    }
    const streamName = streamNameOf(options.getStreamIdentifier());
    const expected = expectedOf(options);
    try {
      const outcome = log.append(streamName, expected, proposed);
      callback(
        null,
        outcome.ok
          ? appendSuccess(outcome.currentRevision, outcome.position)
          : wrongExpectedVersion(expected, outcome.currentRevision),
      );
    } catch (error) {
      if (!(error instanceof FakeLogFullError)) throw error;
      fail({ code: grpc.status.RESOURCE_EXHAUSTED, details: error.message });
    }
  });
}

function expectedOf(options: InstanceType<typeof streamsPb.AppendReq.Options>): FakeExpected {
  if (options.hasRevision()) return { kind: 'revision', revision: BigInt(options.getRevision()) };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  return { kind: 'any' };
}

function appendSuccess(currentRevision: bigint, position: bigint): AppendResp {
  const success = new streamsPb.AppendResp.Success();
  if (currentRevision < 0n) success.setNoStream(new sharedPb.Empty());
  else success.setCurrentRevision(currentRevision.toString());
  const pos = new streamsPb.AppendResp.Position();
  pos.setCommitPosition(position.toString());
  pos.setPreparePosition(position.toString());
  success.setPosition(pos);
  return new streamsPb.AppendResp().setSuccess(success);
}

function wrongExpectedVersion(expected: FakeExpected, current: bigint | null): AppendResp {
  const wrong = new streamsPb.AppendResp.WrongExpectedVersion();
  if (current === null) wrong.setCurrentNoStream(new sharedPb.Empty());
  else wrong.setCurrentRevision(current.toString());
  switch (expected.kind) {
    case 'revision':
      wrong.setExpectedRevision(expected.revision.toString());
      break;
    case 'no_stream':
      wrong.setExpectedNoStream(new sharedPb.Empty());
      break;
    case 'stream_exists':
      wrong.setExpectedStreamExists(new sharedPb.Empty());
      break;
    case 'any':
      wrong.setExpectedAny(new sharedPb.Empty());
      break;
  }
  return new streamsPb.AppendResp().setWrongExpectedVersion(wrong);
}

function handleRead(log: FakeLog, call: grpc.ServerWritableStream<ReadReq, ReadResp>): void {
  const options = call.request.getOptions();
  const stream = options?.getStream();
  if (options === undefined || stream === undefined || options.hasSubscription()) {
    // $all reads and subscriptions are outside what the adapter uses.
    call.destroy(
      Object.assign(new Error('only plain stream reads are implemented'), { code: grpc.status.UNIMPLEMENTED }),
    );
    return;
  }
  const streamName = streamNameOf(stream.getStreamIdentifier());
  const direction =
    options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS ? 'backwards' : 'forwards';
  const from = stream.hasRevision() ? BigInt(stream.getRevision()) : stream.hasEnd() ? 'end' : 'start';
  const count = options.hasCount() ? BigInt(options.getCount()) : (1n << 64n) - 1n;
  const structuredIds = options.getUuidOption()?.hasStructured() ?? false;
  const records = log.read(streamName, direction, from, count);
  if (records === null) {
    const notFound = new streamsPb.ReadResp.StreamNotFound();
    notFound.setStreamIdentifier(stream.getStreamIdentifier());
    call.write(new streamsPb.ReadResp().setStreamNotFound(notFound));
  } else {
    for (const record of records) call.write(readResponse(record, structuredIds));
  }
  call.end();
}

function readResponse(record: FakeRecord, structuredIds: boolean): ReadResp {
  const recorded = new streamsPb.ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(uuidOf(record.id, structuredIds));
  recorded.setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(record.streamName, 'utf8')));
  recorded.setStreamRevision(record.revision.toString());
  recorded.setPreparePosition(record.position.toString());
  recorded.setCommitPosition(record.position.toString());
  const metadata = recorded.getMetadataMap();
  metadata.set('type', record.type);
  metadata.set('content-type', record.contentType);
  metadata.set('created', (record.position * TICKS_PER_POSITION).toString());
  recorded.setCustomMetadata(record.customMetadata);
  recorded.setData(record.data);
  const event = new streamsPb.ReadResp.ReadEvent();
  event.setEvent(recorded);
  event.setCommitPosition(record.position.toString());
  return new streamsPb.ReadResp().setEvent(event);
}

function streamNameOf(identifier: InstanceType<typeof sharedPb.StreamIdentifier> | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
}

function errorWithException(code: grpc.status, exception: string, details: string): grpc.StatusObject {
  const metadata = new grpc.Metadata();
  metadata.set('exception', exception);
  return { code, details, metadata };
}

const U64_MASK = (1n << 64n) - 1n;

function uuidToString(uuid: InstanceType<typeof sharedPb.UUID> | undefined): string {
  if (uuid === undefined) return '00000000-0000-0000-0000-000000000000';
  if (!uuid.hasStructured()) return uuid.getString();
  const structured = uuid.getStructured()!;
  const hex = [structured.getMostSignificantBits(), structured.getLeastSignificantBits()]
    .map((half) => (BigInt(half) & U64_MASK).toString(16).padStart(16, '0'))
    .join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id in the form the reader asked for: structured (two signed 64-bit halves) or a string. */
function uuidOf(id: string, structured: boolean): InstanceType<typeof sharedPb.UUID> {
  const uuid = new sharedPb.UUID();
  if (!structured) return uuid.setString(id);
  const hex = id.replace(/-/g, '');
  const signed = (half: string): string => BigInt.asIntN(64, BigInt(`0x${half}`)).toString();
  const bits = new sharedPb.UUID.Structured();
  bits.setMostSignificantBits(signed(hex.slice(0, 16)));
  bits.setLeastSignificantBits(signed(hex.slice(16, 32)));
  return uuid.setStructured(bits);
}
