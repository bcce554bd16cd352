/**
 * Bounds on what one client connection may hold on the gRPC server. Without them a client could
 * open calls and never finish sending their requests, and each would be held (stream state,
 * buffers) for as long as the connection lives: 20,000 such calls were all kept.
 * - `streamsPerConnectionMax`: HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS. A well-behaved client
 *   (grpc-js, nghttp2) queues calls above it on its side; one that ignores it gets its extra
 *   streams refused (REFUSED_STREAM). The SDK multiplexes every call to a node on one connection,
 *   so the bound sits well above any sensible number of calls in flight to one node.
 * - `requestArrivalMsMax`: a call whose whole request has not arrived this long after it began is
 *   answered DEADLINE_EXCEEDED and dropped before any handler sees it. Only for calls with one
 *   request message (every Kv and Cluster method, peer Hello); the peer Stream is long-lived.
 * - `connectionIdleMsMax`: a connection without calls for this long is closed (GOAWAY); clients
 *   reconnect on their next call.
 * - keepalive pings find connections whose peer vanished without closing them.
 */
import * as grpc from '@grpc/grpc-js';

export const streamsPerConnectionMax = 1_000;
export const requestArrivalMsMax = 10_000;
export const connectionIdleMsMax = 5 * 60_000;
const keepaliveTimeMs = 2 * 60_000;
const keepaliveTimeoutMs = 20_000;

/** Server options with the bounds above, for `new grpc.Server({ ...connectionLimitOptions() })`. */
export function connectionLimitOptions(): grpc.ServerOptions {
  return {
    'grpc.max_concurrent_streams': streamsPerConnectionMax,
    'grpc.max_connection_idle_ms': connectionIdleMsMax,
    'grpc.keepalive_time_ms': keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': keepaliveTimeoutMs,
    interceptors: [requestArrivalInterceptor(requestArrivalMsMax)],
  };
}

/**
 * Ends a call with one request message whose request (message and end of stream) has not arrived
 * within `arrivalMsMax`; what arrives later is dropped, so the handler never runs for it.
 */
export function requestArrivalInterceptor(arrivalMsMax: number): grpc.ServerInterceptor {
  return (method, call) => {
    if (method.requestStream) return new grpc.ServerInterceptingCall(call);
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const stop = (): void => clearTimeout(timer);
    const intercepted: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        timer = setTimeout(() => {
          timedOut = true;
          intercepted.sendStatus({
            code: grpc.status.DEADLINE_EXCEEDED,
            details: `Cannot serve the call: its request did not arrive within ${arrivalMsMax} ms (requestArrivalMsMax)`,
          });
        }, arrivalMsMax);
        next({
          onReceiveMessage: (message, nextMessage) => {
            if (!timedOut) nextMessage(message);
          },
          onReceiveHalfClose: (nextHalfClose) => {
            stop();
            if (!timedOut) nextHalfClose();
          },
          onCancel: stop,
        });
      },
      sendStatus: (status, next) => {
        stop();
        next(status);
      },
    });
    return intercepted;
  };
}
