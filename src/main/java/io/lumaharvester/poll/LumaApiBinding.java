package io.lumaharvester.poll;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
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
 * backs off like any other failed poll.
 */
public final class LumaApiBinding extends DefaultVertxHttpBinding {

    /** An API answer past the limit. */
    public static final class ResponseTooLargeException extends RuntimeException {
        ResponseTooLargeException(long maxBytes) {
            super("the API answer is larger than luma.api.max-response-bytes=" + maxBytes);
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
        return super.prepareHttpRequest(endpoint, exchange).as(codec());
    }

    /** The body codec that holds at most {@code maxBytes}; past them it fails and drops the rest. */
    BodyCodec<Buffer> codec() {
        return handler -> handler.handle(Future.succeededFuture(new BoundedBody()));
    }

    private final class BoundedBody implements BodyStream<Buffer> {

        private final Buffer body = Buffer.buffer();
        private final Promise<Buffer> result = Promise.promise();
        private Handler<Throwable> exceptionHandler;

        @Override
        public Future<Buffer> result() {
            return result.future();
        }

        @Override
        public void handle(Throwable failure) {
            result.tryFail(failure);
        }

        @Override
        public Future<Void> write(Buffer data) {
            if (result.future().isComplete()) {
                return result.future().failed() ? Future.failedFuture(result.future().cause())
                        : Future.succeededFuture();
            }
            if (body.length() + (long) data.length() > maxBytes) {
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
            result.tryComplete(body);
            return Future.succeededFuture();
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
