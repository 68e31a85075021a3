package io.lumaharvester.poll;

import java.util.concurrent.TimeUnit;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.codec.spi.BodyStream;
import org.apache.camel.Exchange;
import org.apache.camel.component.vertx.http.DefaultVertxHttpBinding;
import org.apache.camel.component.vertx.http.VertxHttpEndpoint;

/**
 * The API answers as vertx-http reads them, except that an answer is held only up to
 * {@code luma.api.max-response-bytes}: the web client would otherwise buffer a body of any size, and an answer too
 * large for the heap would crash the process on every replay of its poll. A larger answer fails that poll, which
 * backs off like any other failed poll. The endpoint's {@code timeout} (luma.api.response-timeout-ms) is also a
 * deadline for the body, counted from the request's start: the web client's own time-out is re-armed by every piece
 * of the body, so an answer that trickles would hold its poll and its connection as long as the API keeps sending.
 * Past the deadline the answer fails at its next byte and the poll goes on; an API silent from then on meets the web
 * client's own time-out. The web client reads the rest of a failed body to keep its connection: a connection stays
 * busy until the API ends its answer (the web client hands out no request to reset).
 */
public final class LumaApiBinding extends DefaultVertxHttpBinding {

    /** An API answer past the limit. */
    public static final class ResponseTooLargeException extends RuntimeException {
        ResponseTooLargeException(long maxBytes) {
            super("the API answer is larger than luma.api.max-response-bytes=" + maxBytes);
        }
    }

    /** An API answer still arriving at the deadline. */
    public static final class ResponseTimeoutException extends RuntimeException {
        ResponseTimeoutException(long timeoutMs) {
            super("the API answer was not read whole within luma.api.response-timeout-ms=" + timeoutMs
                    + " of the request's start");
        }
    }

    private final long maxBytes;

    public LumaApiBinding(long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("luma.api.max-response-bytes must be above 0, not " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    @Override
    public HttpRequest<Buffer> prepareHttpRequest(VertxHttpEndpoint endpoint, Exchange exchange) throws Exception {
        // the request's start (its status line and headers are held to the web client's own time-out)
        long started = System.nanoTime();
        return super.prepareHttpRequest(endpoint, exchange).as(codec(endpoint.getComponent().getVertx(),
                endpoint.getConfiguration().getTimeout(), started));
    }

    /**
     * The body codec that holds at most {@code maxBytes}; past them it fails and drops the rest. Past
     * {@code timeoutMs} from {@code startedNanos} (none if not above 0) it fails too.
     */
    BodyCodec<Buffer> codec(Vertx vertx, long timeoutMs, long startedNanos) {
        return handler -> {
            long leftMs = timeoutMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
            if (timeoutMs > 0 && leftMs <= 0) {
                // the head came in after the deadline
                handler.handle(Future.failedFuture(new ResponseTimeoutException(timeoutMs)));
            } else {
                handler.handle(Future.succeededFuture(new BoundedBody(vertx, timeoutMs, leftMs)));
            }
        };
    }

    private final class BoundedBody implements BodyStream<Buffer> {

        private final Buffer body = Buffer.buffer();
        private final Promise<Buffer> result = Promise.promise();
        private Handler<Throwable> exceptionHandler;
        private final Vertx vertx;
        private final long deadlineTimer;

        /** Created on the request's event loop, where its deadline timer runs too. */
        BoundedBody(Vertx vertx, long timeoutMs, long leftMs) {
            this.vertx = vertx;
            this.deadlineTimer = timeoutMs > 0
                    ? vertx.setTimer(leftMs, id -> result.tryFail(new ResponseTimeoutException(timeoutMs))) : -1;
        }

        @Override
        public Future<Buffer> result() {
            return result.future();
        }

        @Override
        public void handle(Throwable failure) {
            cancelDeadline();
            result.tryFail(failure);
        }

        @Override
        public Future<Void> write(Buffer data) {
            // failed past the deadline (or too large): the poll fails at this write
            if (result.future().isComplete()) {
                return result.future().failed() ? Future.failedFuture(result.future().cause())
                        : Future.succeededFuture();
            }
            if (body.length() + (long) data.length() > maxBytes) {
                cancelDeadline();
                ResponseTooLargeException tooLarge = new ResponseTooLargeException(maxBytes);
                result.tryFail(tooLarge);
                if (exceptionHandler != null) {
                    exceptionHandler.handle(tooLarge);
                }
                return Future.failedFuture(tooLarge);
            }
            body.appendBuffer(data);
            return Future.succeededFuture();
        }

        @Override
        public void write(Buffer data, Handler<AsyncResult<Void>> handler) {
            Future<Void> written = write(data);
            if (handler != null) {
                written.onComplete(handler);
            }
        }

        @Override
        public Future<Void> end() {
            cancelDeadline();
            result.tryComplete(body);
            return Future.succeededFuture();
        }

        private void cancelDeadline() {
            if (deadlineTimer >= 0) {
                vertx.cancelTimer(deadlineTimer);
            }
        }

        @Override
        public void end(Handler<AsyncResult<Void>> handler) {
            Future<Void> ended = end();
            if (handler != null) {
                ended.onComplete(handler);
            }
        }

        @Override
        public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            this.exceptionHandler = handler;
            return this;
        }

        @Override
        public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
            return this;
        }

        @Override
        public boolean writeQueueFull() {
            return false;
        }

        @Override
        public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
            return this;
        }
    }
}
